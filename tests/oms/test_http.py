import json

from django.http import HttpResponse

from oms.http import scan_feedback


def test_scan_feedback_triggers_ok_or_error_event_with_detail():
    ok = scan_feedback(HttpResponse(), True)
    assert json.loads(ok["HX-Trigger"]) == {"scan-ok": True}
    refused = scan_feedback(HttpResponse(), False, message="Wrong bin")
    assert json.loads(refused["HX-Trigger"]) == {"scan-error": {"message": "Wrong bin"}}
