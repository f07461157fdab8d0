"""``soap``: the SOAP plumbing the carriers' SOAP services share (Yurtiçi, Aras).

Why a module of its own: the carriers we talk SOAP to need the same few things (build a 1.1
envelope, POST it, turn faults and transport trouble into ``CarrierError``, read elements whatever
their namespace) and we do it with the standard library (``xml.etree.ElementTree`` and
``urllib.request``) rather than a SOAP library. Each connector keeps only what is its carrier's:
namespaces, field names, status codes. Nothing here touches the database.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from decimal import Decimal

from django.utils.translation import gettext as _

from fulfillment.carriers import CarrierError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(
    operation: str, namespace: str, fields: list[tuple[str, object]], *, qualified: bool = False
) -> bytes:
    """A SOAP 1.1 envelope calling ``operation``; ``fields`` are (name, value) pairs where a value
    may itself be such a list (a nested element) and ``None`` skips the field. ``qualified`` puts
    every field in ``namespace`` too (.NET services such as Aras's want that; Java ones do not)."""
    ET.register_namespace("soapenv", SOAP_ENV)
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    ET.SubElement(root, f"{{{SOAP_ENV}}}Header")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = ET.SubElement(body, f"{{{namespace}}}{operation}")
    _append(call, fields, namespace if qualified else "")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _append(parent: ET.Element, fields: list[tuple[str, object]], namespace: str) -> None:
    """``namespace`` "" leaves the fields unqualified."""
    for name, value in fields:
        if value is None:
            continue
        tag = f"{{{namespace}}}{name}" if namespace else name
        child = ET.SubElement(parent, tag)
        if isinstance(value, list):
            _append(child, value, namespace)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


def post_soap(endpoint: str, payload: bytes, *, action: str, timeout: float) -> ET.Element:
    """POST an envelope and return the parsed ``Body``; faults and transport trouble become
    ``CarrierError`` (retryable when the carrier could not be reached or failed on its side)."""
    if not endpoint.startswith(("https://", "http://")):
        raise CarrierError(_("The carrier account has no http(s) endpoint URL."), code="no_endpoint")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        endpoint,
        data=payload,
        method="POST",
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            text = response.read()
    except urllib.error.HTTPError as error:
        text = error.read()
        fault = _fault(text)
        if fault is not None:
            raise fault from None
        raise CarrierError(
            _("The carrier answered HTTP %(status)s.") % {"status": error.code},
            code=f"http_{error.code}",
            retryable=error.code >= 500 or error.code == 429,
            raw=text.decode("utf-8", "replace")[:2000],
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise CarrierError(
            _("The carrier could not be reached: %(reason)s") % {"reason": reason},
            code="unreachable",
            retryable=True,
        ) from None
    fault = _fault(text)
    if fault is not None:
        raise fault
    try:
        root = parse_xml(text)
    except ET.ParseError:
        raise CarrierError(
            _("The carrier's answer could not be read."),
            code="bad_response",
            retryable=True,
            raw=text.decode("utf-8", "replace")[:2000],
        ) from None
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise CarrierError(_("The carrier's answer could not be read."), code="bad_response", retryable=True)
    return body


def parse_xml(text: bytes) -> ET.Element:
    """Parse a carrier's answer, refusing document type declarations: SOAP never needs them and
    they are how entity-expansion attacks get in (the standard parser fetches no external ones)."""
    if b"<!DOCTYPE" in text[:2048].upper():
        raise ET.ParseError("DOCTYPE not allowed")
    return ET.fromstring(text)  # noqa: S314 - no DTD, see above


def _fault(text: bytes) -> CarrierError | None:
    try:
        root = parse_xml(text)
    except ET.ParseError:
        return None
    fault = root.find(f".//{{{SOAP_ENV}}}Fault")
    if fault is None:
        return None
    message = (fault.findtext("faultstring") or "").strip() or _("The carrier refused the request.")
    code = (fault.findtext("faultcode") or "fault").strip()
    return CarrierError(message, code=code, raw=text.decode("utf-8", "replace")[:2000])


def local_name(element: ET.Element) -> str:
    """The tag without its ``{namespace}``."""
    return element.tag.rsplit("}", 1)[-1]


def find(element: ET.Element | None, name: str) -> ET.Element | None:
    """The first descendant called ``name`` whatever its namespace."""
    if element is None:
        return None
    for child in element.iter():
        if local_name(child) == name and child is not element:
            return child
    return None


def find_all(element: ET.Element | None, name: str) -> list[ET.Element]:
    """Every descendant called ``name`` whatever its namespace, in document order."""
    if element is None:
        return []
    return [child for child in element.iter() if local_name(child) == name and child is not element]


def text_of(element: ET.Element | None, name: str) -> str:
    """The stripped text of the first descendant called ``name``; "" when there is none."""
    found = find(element, name)
    return (found.text or "").strip() if found is not None else ""


def national_phone(phone: str) -> str:
    """Carriers want the ten national digits (5321234567), not E.164."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else digits


def decimal_text(value: Decimal) -> str:
    """Amounts, weights and desi as carriers read them: two decimals, a dot."""
    return f"{Decimal(value).quantize(Decimal('0.01'))}"
