"""Word lists the catalogue generator combines into product names, articles and doctors.

All names are invented for the benchmark; brands and doctors do not exist.
"""

from __future__ import annotations

CATEGORIES = (
    "Joint & Muscle Care",
    "Pain Relief",
    "Digestive Health",
    "Immunity",
    "Sleep & Stress",
    "Skin Care",
    "Hair Care",
    "Cold & Cough",
    "Women's Health",
    "Heart Health",
    "Diabetes Care",
    "Everyday Wellness",
)

# The first condition is the one the bench article is about.
CONDITIONS = (
    "Muscle spasm",
    "Back pain",
    "Knee pain",
    "Arthritis",
    "Neck stiffness",
    "Headache",
    "Migraine",
    "Acidity",
    "Constipation",
    "Indigestion",
    "Insomnia",
    "Anxiety",
    "Common cold",
    "Cough",
    "Sore throat",
    "Acne",
    "Eczema",
    "Dandruff",
    "Hair fall",
    "Fatigue",
    "Low immunity",
    "High blood pressure",
    "High cholesterol",
    "Type 2 diabetes",
    "Period pain",
    "Leg cramps",
    "Sciatica",
    "Frozen shoulder",
    "Ankle sprain",
    "Gout",
)

HERBS = (
    "Turmeric",
    "Ginger",
    "Ashwagandha",
    "Neem",
    "Tulsi",
    "Brahmi",
    "Triphala",
    "Shilajit",
    "Giloy",
    "Amla",
    "Arnica",
    "Menthol",
    "Eucalyptus",
    "Camphor",
    "Wintergreen",
    "Castor",
    "Sesame",
    "Moringa",
    "Guggul",
    "Boswellia",
    "Nirgundi",
    "Mahanarayan",
    "Fenugreek",
    "Clove",
    "Peppermint",
    "Aloe Vera",
    "Shatavari",
    "Licorice",
    "Cinnamon",
    "Karela",
)

BENEFITS = (
    "Joint Relief",
    "Muscle Ease",
    "Back Care",
    "Knee Comfort",
    "Pain Relief",
    "Sleep Support",
    "Calm Mind",
    "Immunity Boost",
    "Digestive Care",
    "Cooling",
    "Warming",
    "Mobility",
    "Herbal Recovery",
    "Daily Vitality",
    "Skin Clear",
    "Hair Strength",
    "Throat Soothe",
    "Heart Care",
    "Sugar Balance",
    "Women's Balance",
)

# form name → (variant labels, MRP range in rupees)
FORMS: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    "Oil": (("100 ml", "200 ml", "500 ml"), (149, 899)),
    "Capsules": (("30 capsules", "60 capsules", "90 capsules"), (199, 1299)),
    "Tablets": (("30 tablets", "60 tablets", "120 tablets"), (99, 899)),
    "Balm": (("10 g", "25 g", "50 g"), (49, 349)),
    "Gel": (("30 g", "75 g", "150 g"), (99, 499)),
    "Spray": (("50 ml", "100 ml"), (149, 599)),
    "Powder": (("100 g", "250 g", "500 g"), (99, 699)),
    "Syrup": (("200 ml", "450 ml"), (89, 399)),
    "Roll-on": (("10 ml", "25 ml"), (99, 299)),
    "Hot & Cold Pack": (("1 pack", "2 packs"), (199, 799)),
    "Tea": (("25 bags", "100 g"), (99, 449)),
    "Cream": (("25 g", "50 g", "100 g"), (99, 599)),
}

BRANDS = (
    "Himveda",
    "Sattva Labs",
    "Kerala Naturals",
    "Vanaushadhi",
    "Arogya Works",
    "Pranaveda",
    "Dhanvantari Remedies",
    "Green Leaf Ayurveda",
    "Sahaj Health",
    "Nilgiri Botanicals",
    "Mitra Pharma",
    "Jeevan Herbals",
)

FIRST_NAMES = (
    "Ananya", "Rohan", "Priya", "Vikram", "Meera", "Arjun", "Kavya", "Sanjay", "Nisha",
    "Rahul", "Isha", "Karan", "Lakshmi", "Aditya", "Pooja", "Farhan", "Sneha", "Imran",
    "Divya", "Manoj", "Zoya", "Naveen", "Ritu", "Suresh",
)  # fmt: skip

LAST_NAMES = (
    "Rao", "Sharma", "Iyer", "Menon", "Patel", "Khan", "Reddy", "Nair", "Gupta", "Das",
    "Kulkarni", "Bose", "Joshi", "Pillai", "Chopra", "Verma", "Mehta", "Banerjee",
)  # fmt: skip

SPECIALTIES = (
    "Orthopaedics",
    "Physiotherapy",
    "Ayurveda",
    "General Medicine",
    "Dermatology",
    "Gastroenterology",
    "Neurology",
    "Sports Medicine",
    "Gynaecology",
    "Endocrinology",
)

ARTICLE_TITLES = (
    "{Condition}: Symptoms, Causes and Treatment",
    "Home Remedies for {condition}",
    "Gentle Stretches That Ease {condition}",
    "When to See a Doctor About {condition}",
    "Foods That May Help With {condition}",
    "Living With {condition}: A Practical Guide",
    "Ayurvedic Approaches to {condition}",
    "Myths and Facts About {condition}",
    "Understanding {condition}",
    "Daily Habits That Prevent {condition}",
    "Over-the-Counter Options for {condition}",
    "Hot or Cold: Managing {condition}",
)

AUDIENCES = (
    "",
    " for Office Workers",
    " for Athletes",
    " in Older Adults",
    " for Runners",
    " for New Parents",
    " for Students",
    " at Work",
    " While Travelling",
    " in Winter",
    " in Summer",
    " After Forty",
)

SECTION_TITLES = (
    "Symptoms",
    "Causes",
    "Treatment",
    "Home care",
    "Diet and water",
    "Exercise and stretching",
    "When to see a doctor",
    "Prevention",
    "Takeaway",
)

SENTENCES = (
    "{Condition} is common and usually settles with simple care at home.",
    "Many people notice {condition} after long hours of sitting or a sudden change in routine.",
    "Rest for a day or two, then return slowly to your usual activity.",
    "Drinking enough water through the day helps muscles and digestion alike.",
    "A warm compress wrapped in a towel can ease stiffness for some people.",
    "Keep a short diary of when {condition} appears; patterns are easier to spot on paper.",
    "Products with {herb} are traditionally used for comfort, but evidence varies.",
    "Ask a pharmacist before combining remedies, especially if you take other medicines.",
    "Sleep, regular meals and light exercise support recovery more than any single product.",
    "If {condition} keeps coming back, a doctor can look for an underlying cause.",
    "Gentle movement is usually better than staying completely still.",
    "Children, pregnant women and older adults should get advice before self-treating.",
    "Stop any stretch or exercise that makes the pain sharper.",
    "A balanced diet with enough potassium and calcium supports healthy muscles.",
)

BULLETS = (
    "a dull ache that gets worse with movement",
    "stiffness in the morning",
    "tenderness when the area is pressed",
    "trouble sleeping because of discomfort",
    "a sudden tight feeling in the muscle",
    "pain that spreads to nearby areas",
    "tiredness through the day",
)

RED_FLAGS = (
    "loss of bladder or bowel control",
    "weakness in the hands or feet",
    "numbness on one side of the body",
    "trouble keeping your balance",
    "a high fever with the pain",
    "pain after a fall or accident",
)

# Words every generated catalogue contains many times, rotated through by the search
# targets so that search is not served from one cached page.
SEARCH_QUERIES = (
    "turmeric",
    "ginger",
    "ashwagandha",
    "neem",
    "tulsi",
    "joint",
    "muscle",
    "pain",
    "oil",
    "capsules",
    "balm",
    "gel",
    "relief",
    "sleep",
    "immunity",
    "digestive",
    "back",
    "knee",
    "cooling",
    "herbal",
)
