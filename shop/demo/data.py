"""The demo catalogue, conditions and doctors as plain Python data.

Money is integer paise (₹399 → 39900). Everything here is invented for the demo:
brands, products and doctors are fictional.

Sale category: the demo sale (added by a later issue) runs on the category
`SALE_CATEGORY_SLUG` ("hot-cold-therapy"). That category must never contain the two
joint products (`joint-pain-oil`, `joint-capsule`), whose article prices ("12% OFF",
"10% OFF") have to stay exactly as written; they live in "ayurvedic-care".
"""

from __future__ import annotations

from dataclasses import dataclass

SALE_CATEGORY_SLUG = "hot-cold-therapy"
JOINT_PRODUCT_SLUGS = ("joint-pain-oil", "joint-capsule")


@dataclass(frozen=True)
class CategoryData:
    slug: str
    name: str
    description: str
    position: int


@dataclass(frozen=True)
class ConditionData:
    slug: str
    name: str
    summary: str


@dataclass(frozen=True)
class DoctorData:
    slug: str
    name: str
    specialty: str
    years_experience: int
    bio: str
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class VariantData:
    sku: str
    label: str
    mrp: int  # paise
    price: int  # paise
    stock: int


@dataclass(frozen=True)
class ProductData:
    slug: str
    name: str
    short_name: str  # drawn on the SVG illustration
    category: str
    brand: str
    form: str
    description: str
    ingredients: str
    how_to_use: str
    warnings: str
    gst_rate: int
    hsn: str  # HSN code on the tax invoice (4–8 digits)
    variants: tuple[VariantData, ...]
    image_alt: str
    conditions: tuple[str, ...] = ()
    max_per_order: int = 10
    prescription_required: bool = False
    limit: tuple[int, int] | None = None  # (units, days) per customer

    @property
    def image_path(self) -> str:
        """Path of the illustration, relative to the Flask static folder."""
        return f"img/products/{self.slug}.svg"


CATEGORIES: tuple[CategoryData, ...] = (
    CategoryData(
        "ayurvedic-care",
        "Ayurvedic care",
        "Traditional Ayurvedic oils, balms and formulations for joints and muscles.",
        1,
    ),
    CategoryData(
        "pain-relief",
        "Pain relief",
        "Over-the-counter pain relief, sprays, tapes and supports.",
        2,
    ),
    CategoryData(
        "hot-cold-therapy",
        "Hot & cold therapy",
        "Gel packs, hot water bags and heat wraps for soothing sore muscles at home.",
        3,
    ),
    CategoryData(
        "supplements",
        "Supplements",
        "Everyday minerals and electrolytes. Food supplements, not medicines.",
        4,
    ),
)

CONDITIONS: tuple[ConditionData, ...] = (
    ConditionData(
        "muscle-spasm",
        "Muscle spasm",
        "A muscle spasm is a sudden, involuntary tightening of a muscle. Spasms in the "
        "back, neck and legs are common and usually settle with rest, heat or cold and "
        "gentle stretching, but some warning signs need a doctor straight away.",
    ),
    ConditionData(
        "joint-pain",
        "Joint pain",
        "Aching, stiff or swollen joints have many causes, from overuse and minor "
        "injuries to arthritis. Persistent or worsening joint pain deserves a check-up.",
    ),
    ConditionData(
        "muscle-cramps",
        "Muscle cramps",
        "A cramp is a sudden, painful knot in a muscle, often in the calf at night or "
        "during exercise. Most pass within minutes; cramps that keep coming back, or come "
        "with swelling or weakness, are worth showing to a doctor.",
    ),
)

# Search synonyms staff start with: each group's words find what the others find
# (Hindi names, everyday words, the way people write vitamins). Edited at /staff/search/.
SEARCH_SYNONYMS: tuple[str, ...] = (
    "turmeric, haldi, हल्दी",
    "ashwagandha, अश्वगंधा, winter cherry",
    "ginger, adrak, अदरक",
    "holy basil, tulsi, तुलसी",
    "neem, नीम",
    "vitamin d, vitamin d3, d3",
    "back pain, kamar dard, कमर दर्द",
    "joint pain, jodon ka dard, जोड़ों का दर्द",
)

_DEMO_NOTE = (
    " This is a demo profile of a fictional person, created for the Remedy Shop demo; "
    "it does not describe a real doctor and no consultations are offered."
)

DOCTORS: tuple[DoctorData, ...] = (
    DoctorData(
        "dr-ananya-rao",
        "Dr. Ananya Rao",
        "Physiotherapy",
        3,
        "Dr. Rao works with people recovering from back and neck strain, with a focus "
        "on posture, graded exercise and getting back to everyday activity." + _DEMO_NOTE,
        ("muscle-spasm",),
    ),
    DoctorData(
        "dr-vikram-mehta",
        "Dr. Vikram Mehta",
        "Orthopaedics",
        10,
        "Dr. Mehta is an orthopaedic specialist interested in spine care, joint pain "
        "and avoiding unnecessary surgery." + _DEMO_NOTE,
        ("muscle-spasm", "joint-pain"),
    ),
    DoctorData(
        "dr-farah-qureshi",
        "Dr. Farah Qureshi",
        "Sports medicine",
        10,
        "Dr. Qureshi looks after runners, cricketers and weekend athletes with muscle "
        "injuries, cramps and overuse problems." + _DEMO_NOTE,
        ("muscle-spasm",),
    ),
    DoctorData(
        "dr-rohan-iyer",
        "Dr. Rohan Iyer",
        "General medicine",
        4,
        "Dr. Iyer is a general physician who helps patients make sense of common aches, "
        "medicines and when further tests are needed." + _DEMO_NOTE,
        ("muscle-spasm", "joint-pain"),
    ),
)

_AYUR_GST = 12

PRODUCTS: tuple[ProductData, ...] = (
    # --- Ayurvedic care ---------------------------------------------------------------
    ProductData(
        slug="joint-pain-oil",
        name="Joint Pain Relief Oil",
        short_name="Joint Oil",
        category="ayurvedic-care",
        brand="Remedy Ayur",
        form="Ayurvedic oil",
        description=(
            "A warming Ayurvedic massage oil for stiff joints and tired, tight muscles. "
            "Sesame oil carries a blend of traditional herbs and aromatic oils that "
            "make a gentle massage feel soothing."
        ),
        ingredients=(
            "Sesame oil (Tila taila), Nirgundi (Vitex negundo) leaf extract, "
            "Mahanarayan oil blend, Gandhapura (wintergreen) oil, Karpura (camphor), "
            "Eucalyptus oil."
        ),
        how_to_use=(
            "Warm a few drops between your palms and massage gently into the sore area "
            "for a few minutes, or as directed by your physician. Wash your hands "
            "afterwards."
        ),
        warnings=(
            "For external use only. Do not apply to broken or irritated skin, or near "
            "the eyes. Stop using it if a rash or burning develops. Ask a doctor before "
            "use if you are pregnant or breastfeeding, or allergic to aspirin. Keep out "
            "of reach of children."
        ),
        gst_rate=_AYUR_GST,
        hsn="30049011",
        variants=(VariantData("RS-JPO-100", "100 ml", 39900, 34900, 120),),
        image_alt="Illustration of an amber bottle of Joint Pain Relief Oil, 100 ml",
        conditions=("muscle-spasm", "joint-pain"),
    ),
    ProductData(
        slug="joint-capsule",
        name="Joint Care Capsules",
        short_name="Joint Caps",
        category="ayurvedic-care",
        brand="Remedy Ayur",
        form="Capsules",
        description=(
            "An Ayurvedic proprietary formulation with Shallaki and Guggulu, made to "
            "support joint comfort and mobility as part of a daily routine."
        ),
        ingredients=(
            "Shallaki (Boswellia serrata) extract, Guggulu (Commiphora wightii), "
            "Haridra (turmeric) extract, Ashwagandha root, Shunthi (dry ginger). "
            "Vegetarian capsule shell."
        ),
        how_to_use=(
            "Swallow with water after a meal, as directed on the pack or by your "
            "physician. Do not exceed the stated dose."
        ),
        warnings=(
            "Not for children, or during pregnancy or breastfeeding. Ask a doctor before "
            "use if you take blood thinners, diabetes or thyroid medicines, or have a "
            "long-term illness. An Ayurvedic medicine, not a substitute for medical care."
        ),
        gst_rate=_AYUR_GST,
        hsn="30049011",
        variants=(VariantData("RS-JCC-060", "60 capsules", 79900, 71900, 80),),
        image_alt="Illustration of a jar of Joint Care Capsules, 60 capsules",
        conditions=("muscle-spasm", "joint-pain"),
    ),
    ProductData(
        slug="muscle-relief-balm",
        name="Muscle Relief Balm",
        short_name="Balm",
        category="ayurvedic-care",
        brand="Remedy Ayur",
        form="Balm",
        description=(
            "A cooling-then-warming herbal balm in a pocket tin, for rubbing into tight "
            "shoulders, neck and calves."
        ),
        ingredients=(
            "Pudina satva (menthol), Karpura (camphor), Eucalyptus oil, Clove oil, "
            "Gandhapura (wintergreen) oil, in a beeswax and white soft paraffin base."
        ),
        how_to_use="Rub a small amount gently into the affected area. Wash your hands after use.",
        warnings=(
            "For external use only. Keep away from the eyes, nose and broken skin. Do not "
            "cover with a tight bandage or use with a heating pad. Not for children under "
            "six. Ask a doctor before use if you are pregnant or allergic to aspirin."
        ),
        gst_rate=_AYUR_GST,
        hsn="30049011",
        variants=(
            VariantData("RS-MRB-025", "25 g", 14500, 12900, 200),
            VariantData("RS-MRB-050", "50 g", 24500, 21500, 140),
        ),
        image_alt="Illustration of a round tin of Muscle Relief Balm",
        conditions=("muscle-spasm",),
    ),
    ProductData(
        slug="ashwagandha-tablets",
        name="Ashwagandha Tablets",
        short_name="Ashwagandha",
        category="ayurvedic-care",
        brand="Remedy Ayur",
        form="Tablets",
        description=(
            "Standardised Ashwagandha root extract, a traditional Ayurvedic herb used "
            "as part of a calmer daily routine."
        ),
        ingredients="Ashwagandha (Withania somnifera) root extract. Excipients q.s.",
        how_to_use=(
            "Swallow with water after a meal, as directed on the pack or by your physician."
        ),
        warnings=(
            "Not during pregnancy or breastfeeding. Ask a doctor before use if you have "
            "a thyroid or autoimmune condition, diabetes, or take sedatives or other "
            "regular medicines. May cause drowsiness. Keep out of reach of children."
        ),
        gst_rate=_AYUR_GST,
        hsn="30049011",
        variants=(VariantData("RS-ASH-060", "60 tablets", 34900, 29900, 150),),
        image_alt="Illustration of a bottle of Ashwagandha Tablets",
    ),
    ProductData(
        slug="turmeric-capsules",
        name="Haldi (Turmeric) Capsules",
        short_name="Turmeric",
        category="ayurvedic-care",
        brand="Remedy Ayur",
        form="Capsules",
        description=(
            "Turmeric extract with black pepper, a familiar kitchen spice in a convenient capsule."
        ),
        ingredients=(
            "Haridra (Curcuma longa) rhizome extract, Maricha (black pepper) extract. "
            "Vegetarian capsule shell."
        ),
        how_to_use="Swallow with water after a meal, as directed on the pack.",
        warnings=(
            "Ask a doctor before use if you are pregnant or breastfeeding, have "
            "gallstones, or take blood thinners or diabetes medicines. Keep out of reach "
            "of children."
        ),
        gst_rate=_AYUR_GST,
        hsn="30049011",
        variants=(VariantData("RS-HAL-060", "60 capsules", 44900, 39900, 90),),
        image_alt="Illustration of a jar of Haldi (Turmeric) Capsules",
        conditions=("joint-pain",),
    ),
    # --- Pain relief ------------------------------------------------------------------
    ProductData(
        slug="paracetamol-500-tablets",
        name="Paracetamol 500 mg Tablets",
        short_name="Paracetamol",
        category="pain-relief",
        brand="Remedy Basics",
        form="Tablets (strip)",
        description=(
            "A familiar over-the-counter pain reliever and fever reducer for short-term "
            "use. One strip of 15 uncoated tablets. Limited to two strips per order."
        ),
        ingredients="Each uncoated tablet contains Paracetamol IP 500 mg. Excipients q.s.",
        how_to_use=(
            "Take only as directed on the pack or by your doctor or pharmacist, with the "
            "stated gap between doses."
        ),
        warnings=(
            "Consult a doctor before use if you are pregnant or breastfeeding, have liver "
            "or kidney disease, drink alcohol regularly, or take other medicines. Do not "
            "take with any other product that contains paracetamol: too much can cause "
            "serious liver damage even if you feel well. See a doctor if pain lasts more "
            "than a few days. Keep out of reach of children."
        ),
        gst_rate=12,
        hsn="30049099",
        variants=(VariantData("RS-PCM-015", "Strip of 15 tablets", 3000, 2700, 300),),
        image_alt="Illustration of a blister strip of Paracetamol 500 mg Tablets",
        max_per_order=2,
        limit=(2, 30),
    ),
    ProductData(
        slug="spasmorelax-d-tablets",
        name="Spasmorelax-D Tablets (fictitious demo medicine)",
        short_name="Spasmorelax",
        category="pain-relief",
        brand="Remedy Demo Pharma",
        form="Tablets (strip)",
        description=(
            "A made-up prescription muscle relaxant that exists only in this demo shop, to "
            "show how prescription medicines are sold: upload your doctor's prescription at "
            "checkout and a pharmacist checks it before your card is charged. It is not a "
            "real medicine and is not a substitute for seeing a doctor."
        ),
        ingredients="Fictitious: no real active ingredient. Demo data only.",
        how_to_use="Only as your doctor prescribed. (Demo product: nothing will be dispatched.)",
        warnings=(
            "Prescription only. Muscle relaxants can cause drowsiness: do not drive or drink "
            "alcohol until you know how one affects you. Tell your doctor about other "
            "medicines you take, and if you are pregnant or breastfeeding. See a doctor at "
            "once for back pain with numbness, weakness or loss of bladder or bowel control."
        ),
        gst_rate=12,
        hsn="30049099",
        variants=(VariantData("RS-SPX-010", "Strip of 10 tablets", 18000, 16200, 40),),
        image_alt="Illustration of a strip of the fictitious Spasmorelax-D tablets",
        conditions=("muscle-spasm",),
        max_per_order=3,
        prescription_required=True,
    ),
    ProductData(
        slug="cooling-pain-relief-spray",
        name="Cooling Pain Relief Spray",
        short_name="Cool Spray",
        category="pain-relief",
        brand="Remedy Basics",
        form="Spray",
        description=(
            "A quick-drying cooling spray for sore muscles after sport or a long day, "
            "easy to reach the back and shoulders with."
        ),
        ingredients="Menthol, Camphor, Methyl salicylate, Eucalyptus oil, in an alcohol base.",
        how_to_use=(
            "Shake well and spray from about 15 cm onto the sore area. Do not rub in or "
            "cover. Use as directed on the can."
        ),
        warnings=(
            "Flammable: keep away from flames and heat, and do not smoke while using. "
            "For external use only. Do not spray on the face, broken skin or mucous "
            "membranes. Not for children under 12. Ask a doctor before use if you are "
            "pregnant, allergic to aspirin or take blood thinners."
        ),
        gst_rate=12,
        hsn="30049099",
        variants=(
            VariantData("RS-CPS-050", "50 g", 19900, 17900, 160),
            VariantData("RS-CPS-100", "100 g", 32900, 28900, 110),
        ),
        image_alt="Illustration of a blue can of Cooling Pain Relief Spray",
        conditions=("muscle-spasm",),
    ),
    ProductData(
        slug="kinesiology-tape",
        name="Kinesiology Tape",
        short_name="K-Tape",
        category="pain-relief",
        brand="Remedy Move",
        form="Elastic tape roll",
        description=(
            "A stretchy cotton tape that physiotherapists use to support muscles and "
            "joints while you stay active. Water-resistant, lasts a few days per "
            "application."
        ),
        ingredients="Materials: cotton with elastane, acrylic adhesive. Latex-free.",
        how_to_use=(
            "Apply to clean, dry skin with rounded corners, following the technique your "
            "physiotherapist shows you. Remove slowly in the direction of hair growth."
        ),
        warnings=(
            "Do not apply over cuts, rashes or fragile skin. Remove if itching or redness "
            "develops. Ask a doctor before use if you have diabetes, poor circulation or "
            "a skin condition."
        ),
        gst_rate=12,
        hsn="30051090",
        variants=(
            VariantData("RS-KT-BLK", "Black, 5 cm × 5 m", 49900, 39900, 70),
            VariantData("RS-KT-BEI", "Beige, 5 cm × 5 m", 49900, 39900, 70),
        ),
        image_alt="Illustration of a roll of Kinesiology Tape",
    ),
    ProductData(
        slug="lumbar-support-belt",
        name="Lumbar Support Belt",
        short_name="Back Belt",
        category="pain-relief",
        brand="Remedy Move",
        form="Support belt",
        description=(
            "A breathable lower-back belt with flexible stays, for extra support during "
            "lifting, travel or long days on your feet."
        ),
        ingredients=(
            "Materials: breathable mesh, neoprene-free foam, flexible stays, hook-and-loop closure."
        ),
        how_to_use=(
            "Wear over a thin layer of clothing, snug but not tight, for a few hours at "
            "a time. Take it off to sleep."
        ),
        warnings=(
            "A belt supports but does not treat back pain: see a doctor or physiotherapist "
            "if pain lasts more than a couple of weeks. Ask a doctor before use during "
            "pregnancy or after surgery. Stop if it causes numbness or tingling."
        ),
        gst_rate=12,
        hsn="90211000",
        variants=(
            VariantData("RS-LSB-M", "Medium (waist 76–91 cm)", 129900, 99900, 40),
            VariantData("RS-LSB-L", "Large (waist 91–107 cm)", 129900, 99900, 35),
        ),
        image_alt="Illustration of a Lumbar Support Belt",
        conditions=("muscle-spasm",),
    ),
    # --- Hot & cold therapy (the demo sale category: no joint products here) -----------
    ProductData(
        slug="hot-cold-gel-pack",
        name="Reusable Hot & Cold Gel Pack",
        short_name="Gel Pack",
        category="hot-cold-therapy",
        brand="Remedy Move",
        form="Gel pack",
        description=(
            "One pack for both ice and heat therapy: chill it in the freezer for a fresh "
            "strain, or warm it for stiffness. Stays flexible when frozen and comes with "
            "a soft fabric cover."
        ),
        ingredients=(
            "Materials: nylon and PVC outer, non-toxic gel (water, propylene glycol, "
            "thickener), washable fabric cover."
        ),
        how_to_use=(
            "Cold: keep in the freezer for at least two hours. Hot: warm in hot (not "
            "boiling) water or in a microwave in short bursts, as printed on the pack. "
            "Always wrap in the cover or a towel and apply for 15–20 minutes at a time."
        ),
        warnings=(
            "Never put directly on bare skin and check the skin often. Ask a doctor "
            "before use if you have diabetes, poor circulation or reduced feeling in the "
            "area. Do not use if the pack leaks or is punctured. Do not overheat."
        ),
        gst_rate=18,
        hsn="90191090",
        variants=(VariantData("RS-HCG-STD", "Standard, 27 × 12 cm", 34900, 29900, 150),),
        image_alt="Illustration of a blue and red Reusable Hot & Cold Gel Pack",
        conditions=("muscle-spasm", "joint-pain"),
    ),
    ProductData(
        slug="hot-water-bag",
        name="Rubber Hot Water Bag",
        short_name="Hot Bag",
        category="hot-cold-therapy",
        brand="Remedy Move",
        form="Hot water bottle",
        description=(
            "A classic ribbed rubber hot water bag with a knitted cover, for easing a "
            "stiff back on a cold evening."
        ),
        ingredients="Materials: natural rubber, screw stopper, knitted acrylic cover.",
        how_to_use=(
            "Fill two-thirds with hot (not boiling) water, squeeze out the air and close "
            "the stopper firmly. Use inside its cover."
        ),
        warnings=(
            "Never use boiling water and never sleep with it against your skin. Check for "
            "cracks before each use and replace it every two years. Ask a doctor before "
            "use if you have diabetes or reduced feeling in the area. Contains natural "
            "rubber latex."
        ),
        gst_rate=18,
        hsn="40149010",
        variants=(
            VariantData("RS-HWB-15", "1.5 litre", 29900, 24900, 90),
            VariantData("RS-HWB-20", "2 litre", 34900, 29900, 60),
        ),
        image_alt="Illustration of a red Rubber Hot Water Bag",
        conditions=("muscle-spasm",),
    ),
    ProductData(
        slug="instant-cold-pack",
        name="Instant Cold Pack",
        short_name="Cold Pack",
        category="hot-cold-therapy",
        brand="Remedy Move",
        form="Single-use cold pack",
        description=(
            "Squeeze, shake and it turns cold in seconds, no freezer needed. Handy in a "
            "sports bag or first-aid kit."
        ),
        ingredients="Contents: urea granules and a sealed inner pouch of water.",
        how_to_use=(
            "Squeeze firmly to burst the inner pouch, shake, wrap in a cloth and apply "
            "for up to 15 minutes. Single use."
        ),
        warnings=(
            "Do not open, cut or swallow the contents. Never apply directly to skin. "
            "Keep out of reach of children. Ask a doctor before use if you have poor "
            "circulation."
        ),
        gst_rate=18,
        hsn="38249900",
        variants=(VariantData("RS-ICP-002", "Pack of 2", 19900, 17900, 120),),
        image_alt="Illustration of a white Instant Cold Pack",
        conditions=("muscle-spasm",),
    ),
    ProductData(
        slug="self-heating-back-wrap",
        name="Self-heating Back Wrap",
        short_name="Heat Wrap",
        category="hot-cold-therapy",
        brand="Remedy Move",
        form="Heat wrap",
        description=(
            "Air-activated heat cells in a slim wrap that gives gentle warmth to the "
            "lower back for hours, under your clothes."
        ),
        ingredients="Heat cells: iron powder, activated charcoal, salt, water, vermiculite.",
        how_to_use=(
            "Open the pouch, wait a few minutes for it to warm, and fasten the wrap over "
            "a thin layer of clothing. Follow the time limit printed on the pack."
        ),
        warnings=(
            "Do not sleep while wearing it or use it with creams, balms or other heat. "
            "Not for children, or people who cannot feel heat. Ask a doctor before use if "
            "you have diabetes, poor circulation or are pregnant. Remove at once if the "
            "skin becomes red or sore."
        ),
        gst_rate=18,
        hsn="38249900",
        variants=(VariantData("RS-SHW-003", "Pack of 3", 44900, 39900, 75),),
        image_alt="Illustration of an orange Self-heating Back Wrap",
        conditions=("muscle-spasm",),
    ),
    # --- Supplements ------------------------------------------------------------------
    ProductData(
        slug="magnesium-tablets",
        name="Magnesium Glycinate Tablets",
        short_name="Magnesium",
        category="supplements",
        brand="Remedy Nutrition",
        form="Tablets",
        description=(
            "A gentle form of magnesium, a mineral the body uses for normal muscle and "
            "nerve function. A food supplement, not a medicine."
        ),
        ingredients="Magnesium bisglycinate, microcrystalline cellulose, film coating.",
        how_to_use=(
            "Swallow with water with a meal, as stated on the label. Do not exceed the "
            "recommended daily intake."
        ),
        warnings=(
            "Ask a doctor or pharmacist before use if you have kidney disease, are "
            "pregnant, or take antibiotics, thyroid or other regular medicines. Food "
            "supplements do not replace a varied diet."
        ),
        gst_rate=18,
        hsn="21069099",
        variants=(VariantData("RS-MAG-060", "60 tablets", 59900, 52900, 100),),
        image_alt="Illustration of a bottle of Magnesium Glycinate Tablets",
        conditions=("muscle-cramps",),
    ),
    ProductData(
        slug="calcium-vitamin-d3-tablets",
        name="Calcium + Vitamin D3 Tablets",
        short_name="Calcium D3",
        category="supplements",
        brand="Remedy Nutrition",
        form="Tablets",
        description=(
            "Calcium with vitamin D3 to help meet daily needs when diet alone falls "
            "short. A food supplement, not a medicine."
        ),
        ingredients="Calcium carbonate, cholecalciferol (vitamin D3), excipients q.s.",
        how_to_use=(
            "Swallow with water after a meal, as stated on the label. Do not exceed the "
            "recommended daily intake."
        ),
        warnings=(
            "Ask a doctor before use if you have kidney stones, kidney disease, high "
            "calcium levels or take other medicines or supplements. Keep out of reach of "
            "children."
        ),
        gst_rate=18,
        hsn="21069099",
        variants=(VariantData("RS-CAL-060", "60 tablets", 39900, 34900, 110),),
        image_alt="Illustration of a bottle of Calcium + Vitamin D3 Tablets",
    ),
    ProductData(
        slug="electrolyte-drink-sachets",
        name="Electrolyte Drink Sachets (Orange)",
        short_name="Electrolytes",
        category="supplements",
        brand="Remedy Nutrition",
        form="Powder sachets",
        description=(
            "Orange-flavoured powder that makes a light electrolyte drink with sodium "
            "and potassium, for hot days and long workouts."
        ),
        ingredients=(
            "Dextrose, sodium chloride, potassium chloride, sodium citrate, citric acid, "
            "natural orange flavour."
        ),
        how_to_use="Stir one sachet into the amount of drinking water stated on the pack.",
        warnings=(
            "Mix exactly as directed. Ask a doctor before use if you have kidney or "
            "heart disease, diabetes or follow a low-salt diet. Not a treatment for "
            "severe dehydration: see a doctor if diarrhoea or vomiting persists."
        ),
        gst_rate=18,
        hsn="21069099",
        variants=(
            VariantData("RS-ELD-010", "Pack of 10 sachets", 25000, 22500, 130),
            VariantData("RS-ELD-030", "Pack of 30 sachets", 69900, 59900, 60),
        ),
        image_alt="Illustration of orange Electrolyte Drink Sachets",
        conditions=("muscle-spasm", "muscle-cramps"),
    ),
)

PRODUCTS_BY_SLUG: dict[str, ProductData] = {p.slug: p for p in PRODUCTS}
DOCTORS_BY_SLUG: dict[str, DoctorData] = {d.slug: d for d in DOCTORS}
CONDITIONS_BY_SLUG: dict[str, ConditionData] = {c.slug: c for c in CONDITIONS}
CATEGORIES_BY_SLUG: dict[str, CategoryData] = {c.slug: c for c in CATEGORIES}
