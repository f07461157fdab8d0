"""Demo inventory: three warehouses, a Turkish catalogue and stock with a history.

``seed_inventory`` is deterministic for a seeded ``random.Random``: the same seed gives the same
SKUs, barcodes, prices, bins, lots, serial numbers, quantities and reservations. Expiry dates are
relative to today (so some lots always expire within 30 days). Catalogue rows and bins are
bulk-created; every stock change goes through ``inventory.services`` so the ledger, the lots and the
levels agree (``manage.py check_stock``).

Brands and models are invented; any likeness to a real trademark is unintended.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory import services
from inventory.barcodes import gs1_check_digit
from inventory.models import (
    Bin,
    Category,
    MovementKind,
    Product,
    RemovalStrategy,
    Reservation,
    ReservationStatus,
    StockMovement,
    Tracking,
    Variant,
    Warehouse,
)

# --- Warehouses -----------------------------------------------------------------------------------

# (zones, aisles per zone, shelves per aisle, levels per shelf): bins = zones * aisles * shelves * levels.
WAREHOUSES = [
    {
        "code": "IST",
        "name": "İstanbul Tuzla Depo",
        "priority": 1,
        "province_id": 34,
        "district": "Tuzla",
        "neighbourhood": "Orhanlı",
        "address_line": "Orhanlı Mah. Tepeören Cad. No: 18",
        "postal_code": "34956",
        "latitude": Decimal("40.9031"),
        "longitude": Decimal("29.3339"),
        "phone": "+902165550134",
        "full_name": "Emre Demir",
        "layout": (4, 4, 4, 3),
    },
    {
        "code": "ANK",
        "name": "Ankara Sincan Depo",
        "priority": 2,
        "province_id": 6,
        "district": "Sincan",
        "neighbourhood": "Saraycık",
        "address_line": "Sincan 1. OSB, Ahi Evran Cad. No: 42",
        "postal_code": "06935",
        "latitude": Decimal("39.9656"),
        "longitude": Decimal("32.5728"),
        "phone": "+903125550106",
        "full_name": "Burak Aydın",
        "layout": (4, 3, 4, 3),
    },
    {
        "code": "IZM",
        "name": "İzmir Kemalpaşa Depo",
        "priority": 3,
        "province_id": 35,
        "district": "Kemalpaşa",
        "neighbourhood": "Ansızca",
        "address_line": "Kemalpaşa OSB, 8. Sokak No: 7",
        "postal_code": "35730",
        "latitude": Decimal("38.4269"),
        "longitude": Decimal("27.4172"),
        "phone": "+902325550135",
        "full_name": "Selin Koç",
        "layout": (4, 3, 3, 3),
    },
]
ZONES = "ABCD"
QUARANTINE_BIN = "Q-00-00-0"
# Share of a variant's İstanbul quantity that the other warehouses carry.
WAREHOUSE_SHARE = {"IST": 1.0, "ANK": 0.5, "IZM": 0.4}

# --- Categories -----------------------------------------------------------------------------------

# (slug, name, parent slug, alert_minimum, alert_critical, seasonal)
CATEGORIES = [
    ("giyim", "Giyim", None, 10, 3, False),
    ("tisort", "Tişört", "giyim", 12, 4, False),
    ("pantolon", "Pantolon", "giyim", 10, 3, False),
    ("ayakkabi", "Ayakkabı", "giyim", 6, 2, False),
    ("dis-giyim", "Dış giyim", "giyim", 15, 5, True),
    ("elektronik", "Elektronik", None, 8, 3, False),
    ("telefon", "Telefon", "elektronik", 5, 2, False),
    ("kulaklik", "Kulaklık", "elektronik", 5, 2, False),
    ("aksesuar", "Aksesuar", "elektronik", 20, 6, False),
    ("kozmetik", "Kozmetik", None, 12, 4, False),
    ("cilt-bakimi", "Cilt bakımı", "kozmetik", 15, 5, False),
    ("makyaj", "Makyaj", "kozmetik", 10, 3, False),
    ("gida", "Gıda", None, 25, 8, False),
    ("kahve", "Kahve", "gida", 25, 8, False),
    ("cay", "Çay", "gida", 25, 8, False),
    ("atistirmalik", "Atıştırmalık", "gida", 30, 10, False),
    ("ev-yasam", "Ev & Yaşam", None, 8, 2, False),
    ("mutfak", "Mutfak", "ev-yasam", 8, 2, False),
    ("dekorasyon", "Dekorasyon", "ev-yasam", 6, 2, False),
]

# --- Catalogue ------------------------------------------------------------------------------------

COLOURS = {
    "Siyah": "SYH",
    "Beyaz": "BYZ",
    "Lacivert": "LAC",
    "Gri": "GRI",
    "Antrasit": "ANT",
    "Kırmızı": "KIR",
    "Haki": "HAK",
    "Bej": "BEJ",
    "Bordo": "BOR",
    "Yeşil": "YSL",
    "Mavi": "MAV",
    "Ekru": "EKR",
    "Kahverengi": "KAH",
    "Pembe": "PMB",
    "Sarı": "SAR",
    "Açık Mavi": "ACM",
    "Koyu Mavi": "KYM",
    "Taba": "TAB",
    "Gece Mavisi": "GCM",
    "Titanyum Gri": "TTG",
    "Lila": "LIL",
    "Turuncu": "TRC",
    "Krem": "KRM",
    "Vizon": "VZN",
    "Hardal": "HRD",
}
SIZES = {"S": 0.7, "M": 1.2, "L": 1.1, "XL": 0.6}  # size curve: how much of each is stocked
SHOE_SIZES = {"38": 0.5, "39": 0.7, "40": 1.0, "41": 1.1, "42": 1.1, "43": 0.8, "44": 0.5}
STORAGE = {"128 GB": 100, "256 GB": 115, "512 GB": 135}  # price in percent of the 128 GB one

SHADES_LIP = (
    ("01", "01 Gül Kurusu"),
    ("02", "02 Nude"),
    ("03", "03 Kiremit"),
    ("04", "04 Kırmızı"),
    ("05", "05 Bordo"),
    ("06", "06 Şeftali"),
)
SHADES_SKIN = (
    ("110", "110 Porselen"),
    ("120", "120 Fildişi"),
    ("130", "130 Bej"),
    ("140", "140 Kum"),
    ("150", "150 Bal"),
    ("160", "160 Karamel"),
)
SHADES_EYE = (("SYH", "Siyah"), ("KAH", "Kahverengi"), ("LAC", "Lacivert"), ("YSL", "Zümrüt Yeşili"))
SHADES_NAIL = (
    ("101", "101 Beyaz İnci"),
    ("205", "205 Pudra"),
    ("310", "310 Kiraz"),
    ("415", "415 Gece Mavisi"),
    ("520", "520 Lila"),
)
GRINDS = (("CEK", "Çekirdek"), ("FLT", "Filtre Öğütülmüş"), ("ESP", "Espresso Öğütülmüş"))
FRUIT_TEAS = (("ELM", "Elma Tarçın"), ("KUS", "Kuşburnu"), ("NAR", "Nar"), ("KDT", "Karadut"))
SCENTS = (
    ("LAV", "Lavanta"),
    ("SAN", "Sandal Ağacı"),
    ("VAN", "Vanilya"),
    ("POR", "Portakal Çiçeği"),
    ("INC", "İncir"),
)
CABLE_LENGTHS = (("1M", "1 m"), ("2M", "2 m"))


@dataclass(frozen=True)
class Model:
    """One product model of a line; fields left empty fall back to the line's."""

    code: str
    name: str
    price: tuple[int, int] | None = None  # TRY, list price range
    mode: str | None = None  # sizes | shoes | storage | colour | choice | single
    key: str = ""  # option name for mode "choice"
    choices: tuple[tuple[str, str], ...] = ()
    count: tuple[int, int] | None = None  # how many colours / choices
    tracking: str | None = None
    fragile: bool | None = None
    cold_chain: bool = False
    tax: int | None = None
    shelf_life: tuple[int, int] | None = None  # days
    weight: tuple[int, int] | None = None  # grams
    stock: tuple[int, int] | None = None  # units in İstanbul, before the size curve
    alert: tuple[int, int] | None = None  # variant thresholds (minimum, critical), over the category's


@dataclass(frozen=True)
class Line:
    """The assortment of one leaf category."""

    category: str
    code: str  # SKU prefix
    products: int
    brands: tuple[str, ...]
    models: tuple[Model, ...]
    mode: str
    price: tuple[int, int]
    stock: tuple[int, int]
    zone: str
    dims: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]  # cm
    weight: tuple[int, int]  # grams
    palette: tuple[str, ...] = ()
    count: tuple[int, int] = (1, 1)
    tax: int = 20
    tracking: str = Tracking.NONE
    expiry: bool = False
    returnable: bool = True
    fragile: float = 0.0  # share of fragile products
    shelf_life: tuple[int, int] = (0, 0)
    blurbs: tuple[str, ...] = ()


APPAREL_BRANDS = ("Lodos", "Çınaraltı", "Kumsal", "Ayazma Basic", "Defne & Nar")
ELECTRONICS_BRANDS = ("Kıvılcım Mobil", "Dalga Ses", "Sinyal Tekno", "Bağlantı")

LINES = (
    Line(
        category="tisort",
        code="TSH",
        products=26,
        brands=APPAREL_BRANDS,
        mode="sizes",
        price=(149, 449),
        stock=(14, 60),
        zone="A",
        dims=((28, 32), (22, 26), (2, 4)),
        weight=(170, 290),
        palette=("Siyah", "Beyaz", "Lacivert", "Gri", "Kırmızı", "Haki", "Bej", "Bordo", "Ekru", "Mavi"),
        count=(2, 3),
        tax=10,
        blurbs=(
            "%100 pamuk, yumuşak dokulu kumaş; 30 derecede yıkanabilir.",
            "Nefes alan kumaşı ile gün boyu rahat; yıkamada çekme yapmaz.",
            "Düzenli kalıp, ribanalı yaka; kombinlemesi kolay bir temel parça.",
        ),
        models=(
            Model("BAS", "Basic Pamuklu Tişört", price=(149, 249)),
            Model("OVR", "Oversize Baskılı Tişört"),
            Model("POL", "Polo Yaka Pike Tişört", price=(299, 499)),
            Model("VYK", "V Yaka Slim Fit Tişört"),
            Model("ORG", "Organik Pamuk Bisiklet Yaka Tişört", price=(249, 399)),
            Model("UZK", "Uzun Kollu Basic Tişört"),
            Model("CZG", "Çizgili Pamuklu Tişört"),
            Model("KTN", "Keten Karışımlı Tişört", price=(349, 549)),
            Model("SPR", "Nefes Alan Spor Tişört"),
            Model("HNL", "Henley Yaka Tişört"),
            Model("CRP", "Crop Kadın Tişört"),
            Model("YKM", "Yıkamalı Oversize Tişört"),
            Model("CEP", "Cepli Basic Tişört"),
            Model("RGL", "Reglan Kol Tişört"),
        ),
    ),
    Line(
        category="pantolon",
        code="PNT",
        products=18,
        brands=("Poyraz Denim", "Lodos", "Çınaraltı", "Kumsal"),
        mode="sizes",
        price=(399, 1299),
        stock=(10, 45),
        zone="A",
        dims=((35, 40), (28, 32), (4, 6)),
        weight=(350, 750),
        palette=("Siyah", "Lacivert", "Antrasit", "Bej", "Haki", "Açık Mavi", "Koyu Mavi", "Gri"),
        count=(2, 3),
        tax=10,
        blurbs=(
            "Esnek kumaş, beş cep tasarım; gün boyu hareket özgürlüğü.",
            "Yüksek bel, bilekte biten boy; kemerle ya da kemersiz giyilebilir.",
            "Dayanıklı dikişler ve metal fermuar; ters çevirerek yıkayınız.",
        ),
        models=(
            Model("JNS", "Slim Fit Jean Pantolon"),
            Model("MOM", "Mom Fit Yüksek Bel Jean"),
            Model("CHN", "Chino Pantolon"),
            Model("KRG", "Kargo Pantolon"),
            Model("ESF", "Eşofman Altı", price=(299, 599)),
            Model("KTP", "Keten Pantolon"),
            Model("JOG", "Jogger Pantolon"),
            Model("KMS", "Kumaş Pantolon", price=(599, 1299)),
            Model("PLZ", "Palazzo Pantolon"),
            Model("WLG", "Wide Leg Jean"),
        ),
    ),
    Line(
        category="ayakkabi",
        code="AYK",
        products=16,
        brands=("Adımlar", "Patika", "Kaldırım", "Yürükler"),
        mode="shoes",
        price=(699, 2999),
        stock=(5, 24),
        zone="B",
        dims=((32, 35), (20, 23), (11, 14)),
        weight=(750, 1450),
        palette=("Siyah", "Beyaz", "Taba", "Kahverengi", "Lacivert", "Gri", "Bej"),
        count=(1, 2),
        tax=10,
        blurbs=(
            "Hafif taban, ortopedik iç taban; gün boyu yürüyüş konforu.",
            "Hakiki deri üst yüzey, kaymaz kauçuk taban.",
            "Nefes alan file yüzey; dar kalıp, yarım numara büyük almanızı öneririz.",
        ),
        models=(
            Model("SNK", "Günlük Sneaker"),
            Model("KOS", "Hafif Koşu Ayakkabısı"),
            Model("BOT", "Deri Bot", price=(1499, 2999)),
            Model("LOF", "Süet Loafer"),
            Model("OXF", "Klasik Oxford Ayakkabı"),
            Model("SND", "Deri Sandalet", price=(499, 999)),
            Model("YRY", "Outdoor Yürüyüş Ayakkabısı"),
            Model("KNV", "Kanvas Ayakkabı", price=(499, 899)),
            Model("CHL", "Chelsea Bot", price=(1499, 2799)),
        ),
    ),
    Line(
        category="dis-giyim",
        code="DSG",
        products=12,
        brands=("Yıldızdağı Outdoor", "Poyraz Denim", "Lodos"),
        mode="sizes",
        price=(1199, 4999),
        stock=(12, 40),
        zone="B",
        dims=((40, 50), (32, 38), (8, 14)),
        weight=(600, 1800),
        palette=("Siyah", "Lacivert", "Haki", "Bej", "Antrasit", "Bordo", "Vizon", "Hardal"),
        count=(1, 3),
        tax=10,
        blurbs=(
            "Su itici dış yüzey, rüzgar geçirmez; kapüşon çıkarılabilir.",
            "Sıcak tutan dolgu, hafif ve katlanabilir.",
            "Astarlı, iç cepli; sonbahar ve kış için ideal.",
        ),
        models=(
            Model("SSM", "Şişme Mont"),
            Model("TRN", "Trençkot"),
            Model("KBN", "Yün Karışımlı Kaban"),
            Model("YGM", "Yağmurluk", price=(899, 1799)),
            Model("PLR", "Polar Ceket", price=(699, 1299)),
            Model("DNC", "Denim Ceket", price=(999, 1899)),
            Model("RZG", "Rüzgarlık", price=(799, 1499)),
            Model("SDC", "Suni Deri Ceket"),
        ),
    ),
    Line(
        category="telefon",
        code="TEL",
        products=10,
        brands=ELECTRONICS_BRANDS[:1] + ELECTRONICS_BRANDS[2:3],
        mode="storage",
        price=(8999, 34999),
        stock=(3, 9),
        zone="C",
        dims=((17, 19), (9, 11), (5, 7)),
        weight=(380, 520),
        palette=("Siyah", "Beyaz", "Gece Mavisi", "Titanyum Gri", "Lila", "Yeşil"),
        count=(1, 3),
        tracking=Tracking.SERIAL,
        fragile=1.0,
        blurbs=(
            "6,7 inç AMOLED ekran, 120 Hz; 5000 mAh batarya ve hızlı şarj.",
            "Üçlü arka kamera, optik görüntü sabitleme; IP68 suya dayanıklılık.",
            "İthalatçı garantili, kutu içeriği: şarj kablosu, SIM iğnesi, kılıf.",
        ),
        models=(
            Model("N12", "Nova 12 Akıllı Telefon"),
            Model("N12P", "Nova 12 Pro Akıllı Telefon", price=(24999, 44999)),
            Model("N12L", "Nova 12 Lite Akıllı Telefon", price=(7999, 12999)),
            Model("A24", "Pusula A24 Akıllı Telefon", price=(6999, 9999)),
            Model("A34", "Pusula A34 5G Akıllı Telefon", price=(9999, 14999)),
            Model("S8", "Sinyal S8 Akıllı Telefon"),
            Model("S8M", "Sinyal S8 Mini Akıllı Telefon"),
            Model("K5", "Kartal K5 Dayanıklı Telefon", price=(8999, 13999)),
            Model("T3", "Tuşlu Telefon T3", price=(899, 1499), mode="colour", weight=(150, 220)),
            Model("F2", "Fold 2 Katlanabilir Akıllı Telefon", price=(49999, 69999)),
        ),
    ),
    Line(
        category="kulaklik",
        code="KLK",
        products=16,
        brands=ELECTRONICS_BRANDS,
        mode="colour",
        price=(299, 2999),
        stock=(3, 8),
        zone="C",
        dims=((10, 22), (8, 20), (4, 10)),
        weight=(80, 420),
        palette=("Siyah", "Beyaz", "Lacivert", "Pembe", "Gri", "Yeşil"),
        count=(1, 3),
        tracking=Tracking.SERIAL,
        fragile=0.3,
        blurbs=(
            "Bluetooth 5.3, 30 saate kadar kullanım; USB-C ile hızlı şarj.",
            "Aktif gürültü engelleme ve şeffaf mod; çift cihaz bağlantısı.",
            "Ter ve suya dayanıklı (IPX4); dokunmatik kontroller.",
        ),
        models=(
            Model("KIK", "Kablosuz Kulak İçi Kulaklık"),
            Model("ANC", "Aktif Gürültü Engelleyici Kulak Üstü Kulaklık", price=(1999, 5999)),
            Model("SPR", "Boyun Bantlı Spor Kulaklık"),
            Model("OYN", "7.1 Surround Oyuncu Kulaklığı", price=(999, 2499)),
            Model("KBL", "Mikrofonlu Kablolu Kulaklık", price=(149, 399)),
            Model("KMK", "Kemik İletimli Kulaklık", price=(1499, 2999)),
            Model("STD", "Stüdyo Monitör Kulaklık", price=(2499, 4999)),
            Model("COC", "Ses Sınırlamalı Çocuk Kulaklığı", price=(399, 899)),
        ),
    ),
    Line(
        category="aksesuar",
        code="AKS",
        products=22,
        brands=ELECTRONICS_BRANDS,
        mode="colour",
        price=(99, 599),
        stock=(25, 90),
        zone="C",
        dims=((8, 20), (6, 14), (2, 6)),
        weight=(30, 250),
        palette=("Siyah", "Beyaz", "Gri", "Lacivert"),
        count=(1, 2),
        blurbs=(
            "Tüm USB-C cihazlarla uyumlu; aşırı akım ve ısınma korumalı.",
            "Darbe emici köşeler, kamera çıkıntısı korumalı tasarım.",
            "Kutu içeriği: ürün ve kullanım kılavuzu; 2 yıl garanti.",
        ),
        models=(
            Model(
                "PWB",
                "Powerbank 20000 mAh PD 22,5 W",
                price=(599, 1199),
                tracking=Tracking.SERIAL,
                stock=(4, 10),
                weight=(380, 450),
                alert=(4, 1),
            ),
            Model(
                "SAT",
                "Akıllı Saat Spor GPS",
                price=(1999, 4999),
                tracking=Tracking.SERIAL,
                fragile=True,
                stock=(3, 8),
                alert=(3, 1),
            ),
            Model(
                "BLK",
                "Akıllı Bileklik",
                price=(699, 1499),
                tracking=Tracking.SERIAL,
                stock=(3, 8),
                alert=(3, 1),
            ),
            Model(
                "HPR",
                "Taşınabilir Bluetooth Hoparlör",
                price=(899, 2499),
                tracking=Tracking.SERIAL,
                stock=(3, 8),
                weight=(400, 900),
                alert=(3, 1),
            ),
            Model("KBL", "USB-C Hızlı Şarj Kablosu", mode="choice", key="length", choices=CABLE_LENGTHS),
            Model("ADP", "65 W GaN Şarj Adaptörü", price=(499, 899)),
            Model("KLF", "Şeffaf Silikon Telefon Kılıfı", price=(99, 249), mode="single"),
            Model("CAM", "Temperli Cam Ekran Koruyucu", price=(99, 199), mode="single", fragile=True),
            Model("ARC", "Araç İçi Manyetik Telefon Tutucu", price=(199, 399)),
            Model("SDK", "Kablosuz Şarj Standı 15 W", price=(399, 799)),
            Model("HDM", "HDMI 2.1 Görüntü Kablosu 2 m", price=(199, 399), mode="single"),
        ),
    ),
    Line(
        category="cilt-bakimi",
        code="CLT",
        products=24,
        brands=("Gülsuyu Kozmetik", "Zeytin Dalı", "İpek Ten", "Lavanta Vadisi"),
        mode="single",
        price=(129, 549),
        stock=(20, 70),
        zone="C",
        dims=((5, 18), (4, 7), (4, 7)),
        weight=(40, 450),
        tracking=Tracking.LOT,
        expiry=True,
        returnable=False,
        shelf_life=(540, 1080),
        blurbs=(
            "Dermatolojik olarak test edilmiştir; parabensiz formül.",
            "Hassas ciltler için uygundur; hayvanlar üzerinde test edilmemiştir.",
            "Açıldıktan sonra 12 ay içinde kullanınız; serin ve kuru yerde saklayınız.",
        ),
        models=(
            Model("NYK", "Nemlendirici Yüz Kremi 50 ml"),
            Model("GKR", "Güneş Koruyucu Krem SPF 50 50 ml"),
            Model("TNK", "Gözenek Sıkılaştırıcı Tonik 200 ml"),
            Model("SRM", "C Vitamini Serum 30 ml", price=(299, 649)),
            Model("TJL", "Yüz Temizleme Jeli 150 ml"),
            Model("MSL", "Micellar Makyaj Temizleme Suyu 400 ml"),
            Model("GCK", "Göz Çevresi Kremi 15 ml"),
            Model("KMS", "Kil Maskesi 75 ml"),
            Model("VCL", "Vücut Losyonu 250 ml"),
            Model("EKR", "Zeytinyağlı El Kremi 75 ml", price=(79, 179)),
            Model("DDK", "Dudak Bakım Kremi 10 g", price=(69, 149)),
            Model("GSU", "Gül Suyu 250 ml", price=(89, 199)),
        ),
    ),
    Line(
        category="makyaj",
        code="MKY",
        products=20,
        brands=("Gülsuyu Kozmetik", "İpek Ten", "Papatya Güzellik"),
        mode="choice",
        price=(129, 499),
        stock=(10, 45),
        zone="C",
        dims=((8, 14), (2, 5), (2, 5)),
        weight=(15, 90),
        count=(2, 5),
        tracking=Tracking.LOT,
        expiry=True,
        returnable=False,
        shelf_life=(720, 1080),
        blurbs=(
            "Uzun süre kalıcı, yoğun pigmentli formül.",
            "Dermatolojik olarak test edilmiştir; vegan içerik.",
            "Açıldıktan sonra 12 ay içinde kullanınız.",
        ),
        models=(
            Model("RUJ", "Mat Likit Ruj", key="shade", choices=SHADES_LIP),
            Model("FDT", "Uzun Süre Kalıcı Fondöten 30 ml", key="shade", choices=SHADES_SKIN),
            Model("MSK", "Hacim Veren Maskara", key="shade", choices=SHADES_EYE, count=(1, 2)),
            Model("KPT", "Kapatıcı 5 ml", key="shade", choices=SHADES_SKIN),
            Model("ALK", "Krem Allık", key="shade", choices=SHADES_LIP),
            Model("GKL", "Suya Dayanıklı Göz Kalemi", key="shade", choices=SHADES_EYE),
            Model("FAR", "12'li Far Paleti", mode="single", price=(249, 599)),
            Model("PDR", "Sıkıştırılmış Pudra", key="shade", choices=SHADES_SKIN),
            Model("OJE", "Jel Etkili Oje 10 ml", key="shade", choices=SHADES_NAIL, price=(79, 149)),
            Model("DKL", "Dudak Kalemi", key="shade", choices=SHADES_LIP, price=(99, 199)),
        ),
    ),
    Line(
        category="kahve",
        code="KHV",
        products=14,
        brands=("Kervansaray Kahve", "Köz Kavurma", "Bağbozumu Gıda"),
        mode="single",
        price=(89, 449),
        stock=(30, 110),
        zone="D",
        dims=((12, 22), (8, 12), (5, 9)),
        weight=(120, 1050),
        tax=10,
        expiry=True,
        tracking=Tracking.LOT,
        returnable=False,
        shelf_life=(300, 540),
        blurbs=(
            "Taze kavrulmuş, aroma valfli paket; açıldıktan sonra ağzı kapalı saklayınız.",
            "Orta kavrum, fındık ve karamel notaları.",
            "Serin ve kuru yerde, güneş ışığından uzak saklayınız.",
        ),
        models=(
            Model("TRK", "Türk Kahvesi 250 g", weight=(260, 280)),
            Model("DBK", "Dibek Kahvesi 200 g", weight=(210, 230)),
            Model("MNG", "Menengiç Kahvesi 250 g", weight=(260, 280)),
            Model(
                "ETH", "Etiyopya Yirgacheffe Filtre Kahve 250 g", mode="choice", key="grind", choices=GRINDS
            ),
            Model("COL", "Kolombiya Filtre Kahve 250 g", mode="choice", key="grind", choices=GRINDS),
            Model("ESP", "Espresso Çekirdek Kahve 1 kg", price=(699, 999), weight=(1020, 1060)),
            Model("BRZ", "Brezilya Filtre Kahve 500 g", mode="choice", key="grind", choices=GRINDS),
            Model("KPS", "Yoğun Kapsül Kahve 10'lu", price=(129, 199)),
            Model(
                "SDB",
                "Soğuk Demleme Kahve 330 ml",
                price=(69, 99),
                cold_chain=True,
                shelf_life=(45, 75),
                weight=(360, 380),
            ),
            Model(
                "SKH",
                "Sütlü Soğuk Kahve 250 ml",
                price=(49, 79),
                cold_chain=True,
                shelf_life=(40, 60),
                weight=(270, 290),
            ),
            Model("HZK", "3'ü 1 Arada Hazır Kahve 24'lü", price=(119, 189)),
        ),
    ),
    Line(
        category="cay",
        code="CAY",
        products=12,
        brands=("Yamaç Çay", "Karadeniz Bahçeleri", "Bağbozumu Gıda"),
        mode="single",
        price=(79, 399),
        stock=(30, 110),
        zone="D",
        dims=((12, 24), (8, 14), (5, 10)),
        weight=(60, 1050),
        tax=10,
        expiry=True,
        tracking=Tracking.LOT,
        returnable=False,
        shelf_life=(540, 900),
        blurbs=(
            "Doğu Karadeniz'in yüksek yamaçlarından, ilk hasat.",
            "Nem almayan ambalajda; demlendikten sonra 1 saat içinde tüketiniz.",
            "Katkısız, %100 doğal.",
        ),
        models=(
            Model("SYH", "Siyah Dökme Çay 1 kg", price=(249, 399), weight=(1020, 1050)),
            Model("FLZ", "Rize Filiz Çay 500 g", weight=(510, 530)),
            Model("BRG", "Bergamotlu Siyah Çay 500 g", weight=(510, 530)),
            Model("YSL", "Yeşil Çay Süzen Poşet 20'li", price=(59, 119)),
            Model("ADA", "Ada Çayı 50 g", price=(49, 99)),
            Model("IHL", "Ihlamur 40 g", price=(69, 129)),
            Model("KSC", "Kış Çayı Karışımı 100 g", price=(79, 149)),
            Model("BYZ", "Beyaz Çay 50 g", price=(149, 299)),
            Model("MVC", "Meyveli Çay Süzen Poşet 20'li", mode="choice", key="flavour", choices=FRUIT_TEAS),
        ),
    ),
    Line(
        category="atistirmalik",
        code="ATS",
        products=24,
        brands=("Çıtır Anadolu", "Fındıklı Bahçe", "Bağbozumu Gıda"),
        mode="single",
        price=(39, 349),
        stock=(40, 140),
        zone="D",
        dims=((12, 22), (8, 16), (3, 8)),
        weight=(50, 560),
        tax=1,
        expiry=True,
        tracking=Tracking.LOT,
        returnable=False,
        shelf_life=(180, 365),
        blurbs=(
            "Günlük kavrulmuş, tuzsuz.",
            "Katkı maddesi ve koruyucu içermez.",
            "Açıldıktan sonra ağzı kapalı, serin yerde saklayınız.",
        ),
        models=(
            Model("FND", "Kavrulmuş Fındık İçi 200 g", price=(129, 199)),
            Model("AFS", "Antep Fıstığı 250 g", price=(249, 399)),
            Model("KYS", "Gün Kurusu Kayısı 500 g", price=(149, 249)),
            Model("BDM", "Çiğ Badem 200 g", price=(119, 179)),
            Model("LBL", "Sarı Leblebi 250 g", price=(49, 89)),
            Model("KRK", "Karışık Kuruyemiş 300 g", price=(149, 249)),
            Model("BTR", "Bitter Çikolata %70 Kakao 80 g", price=(49, 89), tax=10),
            Model("FKR", "Fındık Kreması 350 g", price=(99, 179), tax=10),
            Model("PRB", "Yer Fıstıklı Protein Bar 45 g", price=(39, 69), tax=10),
            Model("KRA", "Tam Buğday Kraker 150 g", price=(29, 49), tax=10),
            Model("CPS", "Fırında Patates Cipsi 100 g", price=(39, 59), tax=10),
            Model("LKM", "Antep Fıstıklı Lokum 250 g", price=(149, 249), tax=10),
            Model(
                "PPD",
                "Kakaolu Protein Puding 200 g",
                price=(49, 79),
                tax=10,
                cold_chain=True,
                shelf_life=(40, 60),
            ),
            Model("PST", "Dut Pestili 200 g", price=(79, 129), tax=10),
        ),
    ),
    Line(
        category="mutfak",
        code="MTF",
        products=20,
        brands=("Çini Atölyesi", "Sofra Evi", "Bakır Ustası", "Kil & Toprak"),
        mode="colour",
        price=(149, 1999),
        stock=(6, 30),
        zone="D",
        dims=((15, 45), (15, 35), (6, 25)),
        weight=(200, 4500),
        palette=("Siyah", "Kırmızı", "Krem", "Antrasit", "Yeşil"),
        count=(1, 2),
        fragile=0.4,
        blurbs=(
            "Bulaşık makinesinde yıkanabilir.",
            "Gıdaya uygun malzeme; tüm ocak tiplerinde kullanılabilir.",
            "El yapımıdır; her ürün küçük farklılıklar gösterebilir.",
        ),
        models=(
            Model("TVA", "Döküm Tava 28 cm", price=(799, 1499), weight=(2500, 3200)),
            Model("TNC", "Granit Tencere Seti 7 Parça", price=(1999, 3999), weight=(4000, 6000)),
            Model("CDL", "Çelik Çaydanlık Takımı", price=(699, 1499)),
            Model("CZV", "Bakır Cezve", price=(249, 499), mode="single"),
            Model("BRD", "İnce Belli Çay Bardağı 6'lı", price=(99, 199), fragile=True, mode="single"),
            Model("FNC", "Türk Kahvesi Fincan Takımı 6 Kişilik", price=(399, 899), fragile=True),
            Model("KTT", "Bambu Kesme Tahtası", price=(149, 299), mode="single"),
            Model("BCK", "Şef Bıçağı 20 cm", price=(299, 799), mode="single"),
            Model("SKB", "Cam Saklama Kabı Seti 3'lü", price=(199, 399), fragile=True, mode="single"),
            Model("TRZ", "Dijital Mutfak Terazisi", price=(249, 499)),
            Model("DML", "Cam Demlik 1 L", price=(199, 399), fragile=True, mode="single"),
            Model("SRV", "Porselen Servis Tabağı 6'lı", price=(499, 999), fragile=True),
        ),
    ),
    Line(
        category="dekorasyon",
        code="DKR",
        products=16,
        brands=("Yuva Dekor", "Kil & Toprak", "Çini Atölyesi"),
        mode="colour",
        price=(99, 1499),
        stock=(5, 24),
        zone="D",
        dims=((15, 60), (10, 45), (5, 40)),
        weight=(150, 3500),
        palette=("Krem", "Antrasit", "Hardal", "Bej", "Yeşil", "Lacivert", "Turuncu"),
        count=(1, 3),
        fragile=0.3,
        blurbs=(
            "El yapımı; renk tonları ekrandan farklı görünebilir.",
            "Doğal malzemeden üretilmiştir.",
            "Kuru bezle silerek temizleyiniz.",
        ),
        models=(
            Model("KRL", "Kırlent Kılıfı 45×45 cm", price=(99, 249), count=(2, 4)),
            Model("MUM", "Kokulu Mum 200 g", mode="choice", key="scent", choices=SCENTS, price=(149, 299)),
            Model("VZO", "El Yapımı Seramik Vazo", price=(299, 799), fragile=True),
            Model("CRC", "Ahşap Fotoğraf Çerçevesi 20×25 cm", price=(99, 249)),
            Model("AYN", "Yuvarlak Duvar Aynası 60 cm", price=(599, 1499), fragile=True, mode="single"),
            Model("HLI", "Kilim Desenli Halı 120×180 cm", price=(799, 1999)),
            Model("SPT", "Hasır Saklama Sepeti", price=(199, 449), mode="single"),
            Model("SAA", "Ahşap Duvar Saati", price=(349, 899), mode="single"),
            Model("KSE", "Çini Desenli Kase", price=(149, 399), fragile=True),
            Model("BTN", "Örgü Battaniye 130×170 cm", price=(499, 999)),
            Model("ABJ", "Keten Başlıklı Masa Lambası", price=(599, 1299), fragile=True),
        ),
    ),
)

# Adjustment reason codes (StockMovement.reason) and the notes that go with them.
DAMAGE_NOTES = (
    "Raftan düştü, ambalaj yırtık",
    "Forklift hasarı",
    "Koli ezik, ürün kullanılamaz",
    "Sayımda hasarlı bulundu",
)


# --- Helpers --------------------------------------------------------------------------------------


def _snap_price(value: int) -> Decimal:
    """A shop price ending in ,90: 34,90 / 349,90 / 1.299,90."""
    step = 1 if value < 100 else 10 if value < 2000 else 100
    rounded = -(-value // step) * step  # round up to the step
    return Decimal(rounded * 100 - 10).scaleb(-2)


def _decimal(rng: random.Random, bounds: tuple[int, int], *, places: int, scale: int) -> Decimal:
    """A random Decimal between bounds (given in whole units) with ``places`` decimals."""
    low, high = bounds
    return Decimal(rng.randint(low * scale, high * scale)).scaleb(-places)


def _ean13(company: int, item: int) -> str:
    body = f"869{company:05d}{item:04d}"
    return body + str(gs1_check_digit(body))


@dataclass
class _Plan:
    """What the stock step does with one variant."""

    variant: Variant
    line: Line
    model: Model
    weight: float  # size-curve factor
    profile: str = "normal"  # normal | low | sold_out | new
    threshold: int = 0  # alert_minimum that applies (variant, else category)
    bins: dict[str, list[Bin]] = field(default_factory=dict)  # warehouse code -> bins it sits in
    shelf_life: tuple[int, int] = (0, 0)


@dataclass
class _Level:
    """Mirror of one stock level so the seeding never asks a service for what is not there."""

    variant: Variant
    warehouse: Warehouse
    plan: _Plan
    on_hand: int = 0
    reserved: int = 0
    lots: list[list] = field(default_factory=list)  # [StockLot, quantity, bin] as received

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class _Seeder:
    def __init__(self, rng: random.Random, admin, scale: float) -> None:
        self.rng = rng
        self.admin = admin
        self.scale = scale
        self.today = timezone.localdate()
        self.year = self.today.year
        self.po_numbers: dict[tuple, str] = {}
        self.lot_seq = 0
        self.serial_seq = 0
        self.order_line = 0
        self.levels: dict[tuple[int, str], _Level] = {}

    def _share(self, full: int, pool: list | None = None) -> int:
        """``full`` scaled down (at least 2, so every kind of record still appears), capped at the pool."""
        wanted = max(2, round(full * self.scale))
        return wanted if pool is None else min(wanted, len(pool))

    # --- Warehouses and bins ---

    def warehouses(self) -> list[Warehouse]:
        created = []
        for spec in WAREHOUSES:
            fields = {k: v for k, v in spec.items() if k != "layout"}
            warehouse = Warehouse(**fields)
            warehouse.full_clean()
            warehouse.save()
            created.append(warehouse)
        self.by_code = {w.code: w for w in created}
        bins = []
        for warehouse, spec in zip(created, WAREHOUSES, strict=True):
            bins += self._layout(warehouse, *spec["layout"])
        Bin.objects.bulk_create(bins)
        self.zone_bins: dict[tuple[str, str], list[Bin]] = {}
        self.quarantine_bins: dict[str, Bin] = {}
        for bin_ in bins:
            code = bin_.warehouse.code
            if bin_.is_quarantine:
                self.quarantine_bins[code] = bin_
            else:
                self.zone_bins.setdefault((code, bin_.zone), []).append(bin_)
        return created

    @staticmethod
    def _layout(warehouse: Warehouse, zones: int, aisles: int, shelves: int, levels: int) -> list[Bin]:
        """Zone-aisle-shelf-level bins along a snake path: odd aisles walked up, even ones down.

        Aisles are numbered through the building (zone A has 01-04, B 05-08, ...) so the path
        alternates direction without a walk back between zones.
        """
        bins, step = [], 0
        for z in range(zones):
            zone = ZONES[z]
            for a in range(aisles):
                aisle = z * aisles + a + 1
                order = range(1, shelves + 1) if aisle % 2 else range(shelves, 0, -1)
                for shelf in order:
                    for level in range(1, levels + 1):
                        step += 10
                        bins.append(
                            Bin(
                                warehouse=warehouse,
                                code=f"{zone}-{aisle:02d}-{shelf:02d}-{level}",
                                zone=zone,
                                walk_sequence=step,
                            )
                        )
        bins.append(
            Bin(
                warehouse=warehouse,
                code=QUARANTINE_BIN,
                zone="Q",
                walk_sequence=step + 1000,
                is_quarantine=True,
            )
        )
        return bins

    # --- Catalogue ---

    def categories(self) -> dict[str, Category]:
        by_slug: dict[str, Category] = {}
        for slug, name, parent, minimum, critical, seasonal in CATEGORIES:
            by_slug[slug] = Category.objects.create(
                slug=slug,
                name=name,
                parent=by_slug[parent] if parent else None,
                alert_minimum=minimum,
                alert_critical=critical,
                seasonal=seasonal,
            )
        return by_slug

    def catalogue(self, categories: dict[str, Category]) -> list[_Plan]:
        rng = self.rng
        brands = list(dict.fromkeys(b for line in LINES for b in line.brands))
        companies = dict(zip(brands, rng.sample(range(10000, 99999), len(brands)), strict=True))
        item_numbers = dict.fromkeys(brands, 0)
        products: list[tuple[Product, Line, Model, str]] = []
        codes: set[str] = set()
        for line in LINES:
            used: dict[str, set[str]] = {}
            for i in range(self._share(line.products)):
                model = line.models[i % len(line.models)]
                taken = used.setdefault(model.code, set())
                brand = rng.choice([b for b in line.brands if b not in taken] or list(line.brands))
                taken.add(brand)
                code = f"{line.code}-{model.code}"
                n = 2
                while code in codes:
                    code, n = f"{line.code}-{model.code}{n}", n + 1
                codes.add(code)
                products.append((self._product(line, model, brand, categories), line, model, code))
        Product.objects.bulk_create([p for p, *_rest in products])

        plans: list[_Plan] = []
        for product, line, model, code in products:
            base = _snap_price(rng.randint(*(model.price or line.price)))
            for options, suffix, price_factor, weight in self._options(line, model):
                item_numbers[product.brand] += 1
                list_price = _snap_price(int(base * price_factor / 100)) if price_factor != 100 else base
                cost = Decimal(int(list_price * 100) * rng.randint(38, 62) // 100).scaleb(-2)
                variant = Variant(
                    product=product,
                    sku=f"{code}-{suffix}" if suffix else code,
                    barcode=_ean13(companies[product.brand], item_numbers[product.brand]),
                    options=options,
                    list_price=list_price,
                    cost_price=cost,
                    currency="TRY",
                    is_active=product.is_active,
                )
                if model.alert:
                    variant.alert_minimum, variant.alert_critical = model.alert
                plans.append(
                    _Plan(
                        variant=variant,
                        line=line,
                        model=model,
                        weight=weight,
                        threshold=variant.alert_minimum or categories[line.category].alert_minimum,
                        shelf_life=model.shelf_life or line.shelf_life,
                    )
                )
        # A few best sellers are watched more closely than their category.
        for plan in rng.sample(plans, len(plans) // 40):
            if plan.variant.alert_minimum is None:
                plan.variant.alert_minimum = plan.threshold * 2
                plan.variant.alert_critical = plan.threshold // 2
                plan.threshold *= 2
        Variant.objects.bulk_create([p.variant for p in plans])
        self.product_count = len(products)
        return plans

    def _product(self, line: Line, model: Model, brand: str, categories: dict[str, Category]) -> Product:
        rng = self.rng
        tracking = model.tracking or line.tracking
        fragile = model.fragile if model.fragile is not None else rng.random() < line.fragile
        (l_lo, l_hi), (w_lo, w_hi), (h_lo, h_hi) = line.dims
        return Product(
            name=model.name,
            brand=brand,
            category=categories[line.category],
            description=f"{brand} {model.name}. {rng.choice(line.blurbs)}" if line.blurbs else "",
            tax_rate=model.tax or line.tax,
            returnable=line.returnable,
            tracking=tracking,
            tracks_expiry=line.expiry,
            removal_strategy=RemovalStrategy.FEFO if line.expiry else RemovalStrategy.FIFO,
            fragile=fragile,
            cold_chain=model.cold_chain,
            length_cm=_decimal(rng, (l_lo, l_hi), places=1, scale=10),
            width_cm=_decimal(rng, (w_lo, w_hi), places=1, scale=10),
            height_cm=_decimal(rng, (h_lo, h_hi), places=1, scale=10),
            weight_kg=Decimal(rng.randint(*(model.weight or line.weight))).scaleb(-3),
            is_active=rng.random() > 0.01,
        )

    def _options(self, line: Line, model: Model) -> list[tuple[dict, str, int, float]]:
        """(options, SKU suffix, price in percent of the base, stock weight) per variant."""
        rng = self.rng
        mode = model.mode or line.mode
        low, high = model.count or line.count
        if mode in ("sizes", "shoes", "storage", "colour"):
            colours = rng.sample(line.palette, rng.randint(low, high))
            if mode == "colour":
                return [({"colour": c}, COLOURS[c], 100, 1.0) for c in colours]
            if mode == "storage":
                storages = list(STORAGE)[: rng.randint(1, 2)] if rng.random() < 0.7 else list(STORAGE)[1:]
                return [
                    ({"colour": c, "storage": s}, f"{COLOURS[c]}-{s.split()[0]}", STORAGE[s], 1.0)
                    for c in colours
                    for s in storages
                ]
            sizes = SIZES if mode == "sizes" else SHOE_SIZES
            return [
                ({"colour": c, "size": s}, f"{COLOURS[c]}-{s}", 100, weight)
                for c in colours
                for s, weight in sizes.items()
            ]
        if mode == "choice":
            picked = rng.sample(model.choices, min(len(model.choices), rng.randint(low, high)))
            picked.sort(key=model.choices.index)
            return [({model.key: label}, code, 100, 1.0) for code, label in picked]
        return [({}, "", 100, 1.0)]

    # --- Stock ---

    def _po(self, brand: str, warehouse: Warehouse, wave: int) -> str:
        key = (brand, warehouse.code, wave)
        if key not in self.po_numbers:
            self.po_numbers[key] = f"PO-{self.year}-{len(self.po_numbers) + 1:04d}"
        return self.po_numbers[key]

    def _level(self, plan: _Plan, warehouse: Warehouse) -> _Level:
        key = (id(plan.variant), warehouse.code)
        if key not in self.levels:
            self.levels[key] = _Level(variant=plan.variant, warehouse=warehouse, plan=plan)
        return self.levels[key]

    def _serials(self, count: int) -> list[str]:
        serials = []
        for _i in range(count):
            self.serial_seq += 1
            serials.append(f"SN{self.rng.randint(10, 99)}{self.year % 100:02d}{self.serial_seq:06d}")
        return serials

    def _lot(self, expiry: date, shelf_life: int) -> str:
        self.lot_seq += 1
        produced = expiry - timedelta(days=shelf_life)
        return f"L{produced:%y%m}-{self.lot_seq:04d}"

    def receive(
        self,
        plan: _Plan,
        warehouse: Warehouse,
        quantity: int,
        *,
        bin: Bin,
        reference: str,
        expiry: date | None = None,
        kind: str = MovementKind.RECEIPT,
        reason: str = "",
        note: str = "",
    ) -> list:
        """One receipt through ``add_stock``; returns the mirror's lot entries it created."""
        variant, product = plan.variant, plan.variant.product
        extra = {}
        if product.tracks_expiry:
            if expiry is None:
                expiry = self.today + timedelta(
                    days=self.rng.randint(max(31, plan.shelf_life[0] // 3), plan.shelf_life[1])
                )
            extra["expiry_date"] = expiry
        if product.tracking == Tracking.LOT:
            extra["lot_number"] = self._lot(expiry, self.rng.randint(*plan.shelf_life))
        if product.tracking == Tracking.SERIAL:
            extra["serials"] = self._serials(quantity)
        movements = services.add_stock(
            variant=variant,
            warehouse=warehouse,
            quantity=quantity,
            kind=kind,
            bin=bin,
            reason=reason,
            note=note,
            reference=reference,
            user=self.admin,
            **extra,
        )
        level = self._level(plan, warehouse)
        level.on_hand += quantity
        entries = []
        for movement in movements:
            entry = [movement.lot, movement.on_hand_delta, bin]
            # Untracked stock of one bin is one lot row: merge with what is already there.
            same = next((e for e in level.lots if e[0].pk == movement.lot.pk), None)
            if same:
                same[1] += movement.on_hand_delta
                entries.append(same)
            else:
                level.lots.append(entry)
                entries.append(entry)
        return entries

    def stock(self, plans: list[_Plan]) -> None:
        rng = self.rng
        ist, ank, izm = (self.by_code[c] for c in ("IST", "ANK", "IZM"))
        for plan in plans:
            if not plan.variant.is_active:
                plan.profile = "new"
                continue
            roll = rng.random()
            plan.profile = (
                "new" if roll < 0.04 else "sold_out" if roll < 0.08 else "low" if roll < 0.2 else "normal"
            )
            if plan.profile == "new":  # announced, nothing received yet
                continue
            spread = rng.random()
            if plan.profile in ("low", "sold_out"):
                warehouses = [ist] if spread < 0.7 else [rng.choice([ank, izm])]
            elif spread < 0.15:
                warehouses = [ist, ank, izm]
            elif spread < 0.35:
                warehouses = [ist, rng.choice([ank, izm])]
            elif spread < 0.9:
                warehouses = [ist]
            elif spread < 0.93:
                warehouses = [ank, izm]
            else:
                warehouses = [rng.choice([ank, izm])]
            low, high = plan.model.stock or plan.line.stock
            for warehouse in warehouses:
                if plan.profile == "low":
                    total = rng.randint(1, max(1, plan.threshold - 1))
                elif plan.profile == "sold_out":
                    total = rng.randint(1, 4)
                else:
                    total = max(
                        1, round(rng.randint(low, high) * plan.weight * WAREHOUSE_SHARE[warehouse.code])
                    )
                self._receive_level(plan, warehouse, total)

    def _receive_level(self, plan: _Plan, warehouse: Warehouse, total: int) -> None:
        rng = self.rng
        zone = self.zone_bins[(warehouse.code, plan.line.zone)]
        home = zone[rng.randrange(len(zone))]
        plan.bins[warehouse.code] = [home]
        product = plan.variant.product
        brand = product.brand
        if product.tracks_expiry:
            # One to three lots; about one lot in six expires within 30 days.
            parts = self._split(total, rng.choice([1, 1, 2, 2, 3]))
            for wave, quantity in enumerate(parts, start=1):
                expiry = None
                if rng.random() < 0.17:
                    expiry = self.today + timedelta(days=rng.randint(3, 29))
                self.receive(
                    plan,
                    warehouse,
                    quantity,
                    bin=home,
                    reference=self._po(brand, warehouse, wave),
                    expiry=expiry,
                )
            return
        if total >= 6 and rng.random() < 0.15:  # restocked once, the second delivery on an upper level
            first, second = self._split(total, 2)
            overflow = zone[rng.randrange(len(zone))]
            plan.bins[warehouse.code].append(overflow)
            self.receive(plan, warehouse, first, bin=home, reference=self._po(brand, warehouse, 1))
            self.receive(plan, warehouse, second, bin=overflow, reference=self._po(brand, warehouse, 2))
        else:
            self.receive(plan, warehouse, total, bin=home, reference=self._po(brand, warehouse, 1))

    def _split(self, total: int, parts: int) -> list[int]:
        parts = max(1, min(parts, total))
        cuts = sorted(self.rng.sample(range(1, total), parts - 1)) if parts > 1 else []
        bounds = [0, *cuts, total]
        return [b - a for a, b in itertools.pairwise(bounds)]

    # --- Quarantine, scrap, adjustments ---

    def _fresh(self, lot) -> bool:
        return lot.expiry_date is None or lot.expiry_date > self.today

    def expired_lots(self, plans: list[_Plan]) -> None:
        """Lots that ran out of date on the shelf: quarantined, most of them destroyed."""
        rng = self.rng
        candidates = [p for p in plans if p.variant.product.tracks_expiry and "IST" in p.bins]
        ist = self.by_code["IST"]
        for plan in rng.sample(candidates, self._share(8, candidates)):
            quantity = rng.randint(2, 8)
            expiry = self.today - timedelta(days=rng.randint(2, 20))
            (entry,) = self.receive(
                plan,
                ist,
                quantity,
                bin=plan.bins["IST"][0],
                reference=self._po(plan.variant.product.brand, ist, 0),
                expiry=expiry,
            )
            lot = entry[0]
            services.quarantine(
                lot=lot,
                quantity=quantity,
                reason="expired",
                note="SKT geçti, satıştan çekildi",
                user=self.admin,
            )
            self._level(plan, ist).on_hand -= quantity
            entry[1] -= quantity
            if rng.random() < 0.75:
                services.scrap(
                    lot=lot,
                    quantity=quantity,
                    reason="expired",
                    note=f"İmha tutanağı {self.year}/{rng.randint(10, 99)}",
                    user=self.admin,
                )

    def customer_returns(self, plans: list[_Plan]) -> None:
        """Returned parcels wait in each warehouse's quarantine bin for a quality check."""
        rng = self.rng
        candidates = [
            p
            for p in plans
            if p.variant.product.returnable and p.variant.product.tracking == Tracking.NONE and p.bins
        ]
        for n, plan in enumerate(rng.sample(candidates, self._share(18, candidates)), start=1):
            code = rng.choice(sorted(plan.bins))
            warehouse = self.by_code[code]
            quantity = rng.choice([1, 1, 1, 2])
            (entry,) = self.receive(
                plan,
                warehouse,
                quantity,
                bin=self.quarantine_bins[code],
                kind=MovementKind.RETURN,
                reason="customer_return",
                reference=f"RMA-{self.year}-{n:04d}",
            )
            services.quarantine(
                lot=entry[0],
                quantity=quantity,
                reason="awaiting_qc",
                note="İade kolisi, kalite kontrol bekliyor",
                user=self.admin,
            )
            self._level(plan, warehouse).on_hand -= quantity
            entry[1] -= quantity
            if rng.random() < 0.3:
                services.scrap(
                    lot=entry[0],
                    quantity=quantity,
                    reason="qc_failed",
                    note="Kullanılmış / lekeli iade, satılamaz",
                    user=self.admin,
                )

    def damaged_on_shelf(self) -> None:
        """Units found damaged in their bin: quarantined; some scrapped, some cleared by QC."""
        rng = self.rng
        candidates = [
            (level, entry)
            for level in self.levels.values()
            for entry in level.lots
            if entry[1] >= 2 and not entry[2].is_quarantine and self._fresh(entry[0])
        ]
        # Serial units are one per lot row: a few of those fail too.
        serial_units = [
            (level, entry)
            for level in self.levels.values()
            for entry in level.lots
            if entry[0].serial and entry[1] == 1
        ]
        candidates = rng.sample(candidates, self._share(20, candidates))
        candidates += rng.sample(serial_units, self._share(5, serial_units))
        for level, entry in candidates:
            quantity = 1 if entry[1] < 4 else rng.randint(1, 2)
            reason, note = rng.choice(
                [
                    ("damaged", rng.choice(DAMAGE_NOTES)),
                    ("damaged", "Kutu ezik, kontrol edilecek"),
                    ("awaiting_qc", "Müşteri şikayeti sonrası parti incelemede"),
                ]
            )
            services.quarantine(lot=entry[0], quantity=quantity, reason=reason, note=note, user=self.admin)
            level.on_hand -= quantity
            entry[1] -= quantity
            fate = rng.random()
            if reason == "damaged" and fate < 0.6:
                services.scrap(lot=entry[0], quantity=quantity, reason="damaged", note=note, user=self.admin)
            elif reason == "awaiting_qc" and fate < 0.5:
                services.release_quarantine(
                    lot=entry[0], quantity=quantity, note="Kalite kontrol: sorun yok", user=self.admin
                )
                level.on_hand += quantity
                entry[1] += quantity

    def adjustments(self) -> None:
        """Cycle counts, found units and breakage, each with its reason code."""
        rng = self.rng
        stocked = [lv for lv in self.levels.values() if lv.on_hand > 0 and lv.plan.profile == "normal"]
        count_days = {code: self.today - timedelta(days=rng.randint(3, 40)) for code in self.by_code}
        for level in rng.sample(stocked, self._share(48, stocked)):
            product = level.variant.product
            kind = rng.choice(["count", "count", "damaged", "found"])
            if kind == "damaged" or (kind == "count" and rng.random() < 0.6):
                delta = -min(level.available, rng.randint(1, 3))
                if not delta:
                    continue
                reference = f"count:{count_days[level.warehouse.code].isoformat()}" if kind == "count" else ""
                note = rng.choice(DAMAGE_NOTES) if kind == "damaged" else "Sayım farkı (eksik)"
                services.adjust(
                    variant=level.variant,
                    warehouse=level.warehouse,
                    delta=delta,
                    reason=kind,
                    note=note,
                    reference=reference,
                    user=self.admin,
                )
                level.on_hand += delta
                # The service chose the lots; the mirror's lot quantities are not used after this.
                continue
            if product.tracking == Tracking.SERIAL:
                continue  # a found unit would need a serial nobody received
            delta = rng.randint(1, 2)
            lot, _qty, place = next(e for e in level.lots if not e[2].is_quarantine and self._fresh(e[0]))
            extra = {}
            if product.tracking == Tracking.LOT:
                extra = {"lot_number": lot.lot_number, "expiry_date": lot.expiry_date}
            elif product.tracks_expiry:
                extra = {"expiry_date": lot.expiry_date}
            reference = f"count:{count_days[level.warehouse.code].isoformat()}" if kind == "count" else ""
            services.adjust(
                variant=level.variant,
                warehouse=level.warehouse,
                delta=delta,
                reason=kind,
                note="Sayım farkı (fazla)" if kind == "count" else "Yanlış rafta bulundu",
                reference=reference,
                bin=place,
                user=self.admin,
                **extra,
            )
            level.on_hand += delta

    # --- Orders ---

    def _order_line(self) -> str:
        self.order_line += 1
        return f"demo-sale:{self.order_line}"  # never mistaken for a real order line

    def sales(self) -> None:
        """Shipped order lines: reserved, then consumed (sale movements)."""
        rng = self.rng
        sellable = [lv for lv in self.levels.values() if lv.plan.profile == "normal" and lv.available >= 4]
        for level in rng.sample(sellable, self._share(160, sellable)):
            self._ship(level, rng.choice([1, 1, 1, 2, 2, 3]))
        # Sold out: every unit went out on orders.
        for level in self.levels.values():
            if level.plan.profile != "sold_out":
                continue
            while level.available:
                self._ship(level, min(level.available, rng.randint(1, 2)))

    def _ship(self, level: _Level, quantity: int) -> None:
        reservation = services.reserve_one(
            variant=level.variant, warehouse=level.warehouse, quantity=quantity, reference=self._order_line()
        )
        services.consume(reservation=reservation, user=self.admin)
        level.on_hand -= quantity

    def open_orders(self) -> None:
        """Order lines waiting to ship, and a few shoppers at checkout."""
        rng = self.rng
        open_levels = [
            lv for lv in self.levels.values() if lv.available > 0 and lv.plan.profile != "sold_out"
        ]
        for level in rng.sample(open_levels, self._share(140, open_levels)):
            # Now and then a line takes the last units (available drops to zero).
            if level.available <= 3 and rng.random() < 0.3:
                quantity = level.available
            else:
                quantity = min(level.available, rng.choice([1, 1, 1, 2]))
            services.reserve_one(
                variant=level.variant,
                warehouse=level.warehouse,
                quantity=quantity,
                reference=self._order_line(),
            )
            level.reserved += quantity
        carts = [lv for lv in self.levels.values() if lv.available > 0 and lv.plan.profile == "normal"]
        for level in rng.sample(carts, self._share(8, carts)):
            services.hold_for_cart(
                variant=level.variant,
                warehouse=level.warehouse,
                quantity=1,
                cart=f"{rng.getrandbits(48):012x}",
            )
            level.reserved += 1


def seed_inventory(rng: random.Random, *, admin, scale: float = 1.0) -> dict:
    """Create the demo warehouses, catalogue and stock; return counts for the seed message.

    Needs an empty inventory (warehouse codes and SKUs are fixed). ``admin`` is recorded as the user
    of every stock movement (``None`` leaves the movements unattributed). ``scale`` shrinks the
    catalogue and the stock events (tests use a fraction; the warehouses and bins stay whole).
    """
    seeder = _Seeder(rng, admin, scale)
    with transaction.atomic():
        warehouses = seeder.warehouses()
        plans = seeder.catalogue(seeder.categories())
        seeder.stock(plans)
        seeder.expired_lots(plans)
        seeder.customer_returns(plans)
        seeder.damaged_on_shelf()
        seeder.adjustments()
        seeder.sales()
        seeder.open_orders()
    return {
        "warehouses": len(warehouses),
        "bins": Bin.objects.filter(warehouse__in=warehouses).count(),
        "categories": Category.objects.count(),
        "products": seeder.product_count,
        "variants": len(plans),
        "movements": StockMovement.objects.filter(warehouse__in=warehouses).count(),
        "reservations": Reservation.objects.filter(
            warehouse__in=warehouses, status=ReservationStatus.ACTIVE
        ).count(),
    }
