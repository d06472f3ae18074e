"""Unit tests for shop.content.rendering (pure functions; no app or database needed)."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.content.rendering import (
    DEFAULT_CALLOUT_TITLE,
    EMBED_RE,
    Embeds,
    RenderedArticle,
    TocEntry,
    find_embeds,
    render_article,
    validate_embeds,
)

CARD = '<div class="product-card" data-slug="{slug}"><form method="post"></form>{slug}</div>'


def card_for(slug: str) -> str:
    return CARD.format(slug=slug)


def known_card(slug: str) -> str | None:
    return card_for(slug) if slug != "missing" else None


def known_link(slug: str) -> tuple[str, str] | None:
    return None if slug == "missing" else (slug.replace("-", " ").title(), f"/articles/{slug}")


def render(text: str) -> RenderedArticle:
    return render_article(text, known_card, known_link)


class _Elements(HTMLParser):
    """Collects (tag, attrs) of every element plus the parent of each element."""

    VOID = {"br", "hr", "img", "input", "wbr", "meta", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], str | None]] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        parent = self.stack[-1] if self.stack else None
        self.elements.append((tag, dict(attrs), parent))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


DANGEROUS_TAGS = {"script", "style", "iframe", "object", "embed", "img", "svg", "math", "form"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster"}


def assert_inert(html: str) -> None:
    """No script-capable markup: no dangerous tags, no on* attributes, no bad URL schemes."""
    assert "<script" not in html.lower()
    for tag, attrs, _parent in elements(html).elements:
        assert tag not in DANGEROUS_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "srcdoc"}, (tag, name)
            if name in URL_ATTRIBUTES:
                squashed = re.sub(r"[\s\x00-\x1f]", "", (value or "")).lower()
                assert not squashed.startswith(("javascript:", "data:", "vbscript:")), value


# ----------------------------------------------------------------------- table of contents


def test_toc_lists_h2_headings_in_order_with_slug_anchors():
    result = render("Intro\n\n## Symptoms\n\ntext\n\n### Detail\n\n## Hot and cold therapy\n")
    assert result.toc == (
        TocEntry(anchor="symptoms", title="Symptoms"),
        TocEntry(anchor="hot-and-cold-therapy", title="Hot and cold therapy"),
    )
    assert '<h2 id="symptoms">Symptoms</h2>' in result.html
    assert '<h2 id="hot-and-cold-therapy">Hot and cold therapy</h2>' in result.html
    # h3 gets an anchor but is not part of the ToC
    assert '<h3 id="detail">Detail</h3>' in result.html


def test_duplicate_headings_get_numbered_anchors():
    result = render("## Dosage\n\n## Dosage\n\n## Dosage\n\n## Dosage 2\n")
    assert [entry.anchor for entry in result.toc] == [
        "dosage",
        "dosage-2",
        "dosage-3",
        "dosage-2-2",  # "Dosage 2" would collide with the generated "dosage-2"
    ]
    ids = [attrs["id"] for _tag, attrs, _p in elements(result.html).elements if "id" in attrs]
    assert ids == [entry.anchor for entry in result.toc]


def test_toc_title_is_plain_text_and_anchor_ignores_markup_and_accents():
    result = render("## Take *care* of your `back` &amp; café\n")
    assert result.toc == (
        TocEntry(anchor="take-care-of-your-back-cafe", title="Take care of your back & café"),
    )
    assert '<h2 id="take-care-of-your-back-cafe">' in result.html


def test_h1_in_article_text_is_demoted_to_h2_and_listed():
    result = render("# Big title\n\n<h1>Raw title</h1>\n")
    assert "<h1" not in result.html
    assert [entry.anchor for entry in result.toc] == ["big-title", "raw-title"]


def test_author_supplied_heading_ids_are_replaced():
    result = render('<h2 id="add-to-cart" onclick="steal()">Raw heading</h2>\n')
    assert 'id="add-to-cart"' not in result.html
    assert '<h2 id="raw-heading">Raw heading</h2>' in result.html
    assert result.toc == (TocEntry("raw-heading", "Raw heading"),)


def test_headings_without_usable_text_still_get_an_anchor():
    result = render("## ***\n\n## !!!\n")
    assert [entry.anchor for entry in result.toc] == ["section", "section-2"]


# ----------------------------------------------------------------------------- callouts


def callout_block(html: str) -> str:
    match = re.search(
        r'<aside class="callout callout-warning" role="note">(.*?)</aside>', html, re.S
    )
    assert match, html
    return match.group(1)


def test_callout_default_title():
    html = render(":::warning\nLoss of bladder or bowel control\n:::\n").html
    inner = callout_block(html)
    assert inner.startswith('<p class="callout-title">See a doctor immediately if\u2026</p>')
    assert DEFAULT_CALLOUT_TITLE == "See a doctor immediately if\u2026"
    assert "<p>Loss of bladder or bowel control</p>" in inner


def test_callout_custom_title_is_escaped():
    html = render(":::warning See a doctor at once <b>if</b> you have\nFever\n:::\n").html
    inner = callout_block(html)
    assert inner.startswith(
        '<p class="callout-title">See a doctor at once &lt;b&gt;if&lt;/b&gt; you have</p>'
    )


def test_callout_contains_markdown_list_directly_after_text():
    source = (
        "Before\n\n:::warning\nLoss of bladder or bowel control\n"
        "- Numbness in the *saddle* area\n- Sudden leg weakness\n:::\n\nAfter\n"
    )
    html = render(source).html
    inner = callout_block(html)
    assert "<li>Numbness in the <em>saddle</em> area</li>" in inner
    assert "<li>Sudden leg weakness</li>" in inner
    assert "<p>Before</p>" in html.split("<aside")[0]
    assert "<p>After</p>" in html.split("</aside>")[1]


def test_unclosed_callout_runs_to_end_of_document():
    html = render("Intro\n\n:::warning\nChest pain\n\n## Later heading\n\nlast words").html
    assert html.count("<aside") == 1
    assert html.rstrip().endswith("</aside>")
    inner = callout_block(html)
    assert "Chest pain" in inner and "last words" in inner and 'id="later-heading"' in inner
    assert "Intro" not in inner


def test_callout_fence_inside_code_block_is_literal():
    html = render("```\n:::warning\nnot a callout\n:::\n```\n").html
    assert "<aside" not in html
    assert ":::warning" in html


def test_callout_inner_text_is_sanitised():
    html = render(':::warning\n<script>alert(1)</script><a href="javascript:x()">x</a>\n:::\n').html
    assert_inert(html)
    assert "alert" not in html


def test_author_cannot_forge_callout_markup():
    html = render('<aside class="callout callout-warning" role="note">fake</aside>\n').html
    assert "<aside" not in html
    assert "class=" not in html
    assert "fake" in html


# ------------------------------------------------------------------------------ sanitising


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="  JaVaScRiPt:alert(1)">click</a>',
        '<a href="java&#x09;script:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox(1))",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<p onclick="alert(1)" style="color:red">hi</p>',
        "<svg><script>alert(1)</script></svg>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        '<form action="javascript:alert(1)"><button formaction="javascript:1">x</button></form>',
        "## Heading {: onclick=alert(1) }",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_dangerous_markup_is_inert(source):
    assert_inert(render(source).html)


def test_script_and_iframe_content_is_removed_entirely():
    html = render("<script>steal()</script><iframe>frame text</iframe>ok").html
    assert "steal" not in html
    assert "frame text" not in html
    assert "ok" in html


def test_images_from_article_text_are_dropped():
    html = render("![alt](https://example.com/x.png) <img src=https://example.com/y.png>").html
    assert "<img" not in html


def test_links_keep_safe_urls_and_get_rel():
    html = render(
        "[a](https://example.com/x) [b](/relative?q=1&r=2) [c](mailto:a@example.com)"
    ).html
    anchors = [attrs for tag, attrs, _p in elements(html).elements if tag == "a"]
    assert [a["href"] for a in anchors] == [
        "https://example.com/x",
        "/relative?q=1&r=2",
        "mailto:a@example.com",
    ]
    assert all(a["rel"] == "noopener noreferrer" for a in anchors)


def test_link_title_with_quotes_cannot_break_out_of_its_attribute():
    html = render('<a href="/x" title="a &quot;b&quot; onmouseover=alert(1) x">t</a>').html
    assert_inert(html)
    anchors = [attrs for tag, attrs, _p in elements(html).elements if tag == "a"]
    assert anchors == [
        {"href": "/x", "title": 'a "b" onmouseover=alert(1) x', "rel": "noopener noreferrer"}
    ]


def test_allowed_formatting_survives():
    source = "**bold** *em* `code`\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n"
    html = render(source).html
    for fragment in ("<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<blockquote>",
                     "<table>", "<th>a</th>", "<td>2</td>", "<hr>"):  # fmt: skip
        assert fragment in html, fragment


def test_raw_text_that_looks_like_tags_is_escaped():
    html = render("Use `<script>` and 3 < 5 & 7 > 2").html
    assert "<code>&lt;script&gt;</code>" in html
    assert "3 &lt; 5 &amp; 7 &gt; 2" in html


# -------------------------------------------------------------------------- product embeds


def test_product_embed_on_own_line_is_a_block_not_in_a_paragraph():
    html = render("Intro text.\n\n[[product:heat-pad]]\n\nOutro text.").html
    assert card_for("heat-pad") in html
    card_elements = [e for e in elements(html).elements if e[0] == "div"]
    assert card_elements and card_elements[0][2] is None  # top-level, parent is not <p>
    assert "<p>" + card_for("heat-pad") not in html
    assert "<p></p>" not in html


def test_product_embed_on_own_line_without_blank_lines_splits_the_paragraph():
    html = render("Intro text.\n[[product:heat-pad]]\nOutro text.").html
    assert "<p>Intro text.</p>" in html
    assert "<p>Outro text.</p>" in html
    assert elements(html).elements[1][0] == "div"
    assert elements(html).elements[1][2] is None


def test_product_embed_inside_a_sentence_is_replaced_inline():
    html = render("Try a [[product:heat-pad]] tonight.").html
    assert f"<p>Try a {card_for('heat-pad')} tonight.</p>" in html
    assert "[[product" not in html


def test_product_card_html_is_inserted_verbatim():
    html = render("[[product:heat-pad]]").html
    # The card has a form and data attributes, which the article allow-list forbids.
    assert html.strip() == card_for("heat-pad")


def test_unknown_product_renders_nothing_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="shop.content.rendering"):
        html = render("Before\n\n[[product:missing]]\n\nInline [[product:missing]] end.").html
    assert "missing" not in html
    assert "[[" not in html
    assert "<p></p>" not in html
    assert "<p>Inline  end.</p>" in html
    records = [r for r in caplog.records if r.name == "shop.content.rendering"]
    assert records and all(r.levelno == logging.WARNING for r in records)
    assert all("missing" in r.getMessage() for r in records)


def test_embeds_in_code_stay_literal_and_are_not_looked_up():
    looked_up: list[str] = []

    def card(slug: str) -> str:
        looked_up.append(slug)
        return card_for(slug)

    source = (
        "Use `[[product:in-span]]`.\n\n```\n[[product:in-fence]]\n```\n\n    [[product:indented]]\n"
    )
    html = render_article(source, card, known_link).html
    assert looked_up == []
    assert "<code>[[product:in-span]]</code>" in html
    assert "[[product:in-fence]]" in html
    assert "[[product:indented]]" in html


def test_embeds_inside_links_and_headings_stay_literal():
    html = render("[see [[article:sleep]]](https://example.com)\n\n## About [[product:pad]]\n").html
    assert "[[article:sleep]]" in html
    assert '<h2 id="about-product-pad">About [[product:pad]]</h2>' in html


def test_author_cannot_forge_placeholders_or_card_markup():
    source = (
        "EMBEDX0123456789abcdefX0 and EMBEDX00000000000000000000000000000000X1\n\n"
        '<div class="product-card" data-slug="fake"><form method="post"></form></div>\n\n'
        "\x02klzzwxh:0000\x03 stash marker"
    )
    html = render(source).html
    assert "EMBEDX0123456789abcdefX0" in html
    assert "EMBEDX00000000000000000000000000000000X1" in html
    assert "product-card" not in html
    assert "<form" not in html
    assert "klzzwxh" in html  # python-markdown's stash marker is plain text, not a lookup


def test_trusted_card_html_is_not_scanned_for_further_embeds():
    looked_up: list[str] = []

    def link(slug: str) -> tuple[str, str]:
        looked_up.append(slug)
        return ("Title", "/a")

    html = render_article(
        "[[product:pad]]", lambda slug: "<div>[[article:inside-card]]</div>", link
    ).html
    assert html.strip() == "<div>[[article:inside-card]]</div>"
    assert looked_up == []


def test_product_embeds_inside_callouts_and_lists():
    html = render(
        ":::warning\nStop and use\n\n[[product:ice-pack]]\n:::\n\n- [[product:pad]]\n"
    ).html
    assert card_for("ice-pack") in callout_block(html)
    assert f"<li>{card_for('pad')}</li>" in html


# -------------------------------------------------------------------------- article links


def test_article_link_is_rendered_with_escaped_title_and_url():
    def link(slug: str) -> tuple[str, str]:
        return ("<b>Back</b> & neck", '/articles/x?a=1&b="2"')

    html = render_article("Read [[article:back-pain]] next.", known_card, link).html
    assert (
        '<p>Read <a href="/articles/x?a=1&amp;b=&quot;2&quot;">'
        "&lt;b&gt;Back&lt;/b&gt; &amp; neck</a> next.</p>"
    ) in html
    assert "<b>" not in html


def test_article_link_on_own_line_stays_inside_a_paragraph():
    html = render("[[article:sleep-well]]").html
    assert html.strip() == '<p><a href="/articles/sleep-well">Sleep Well</a></p>'


def test_unknown_article_renders_nothing_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="shop.content.rendering"):
        html = render("See [[article:missing]] now.").html
    assert "<p>See  now.</p>" in html
    assert any("missing" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


# ----------------------------------------------------------------------------- find_embeds


def test_embed_regex_accepts_only_well_formed_slugs():
    assert EMBED_RE.fullmatch("[[product:heat-pad-2]]")
    assert EMBED_RE.fullmatch("[[article:a]]")
    bad = ["[[product:]]", "[[product:Heat]]", "[[product:a--b]]", "[[product:-a]]"]
    bad += ["[[product:a-]]", "[[product:a b]]", "[[widget:a]]", "[[product:a_b]]"]
    for text in bad:
        assert not EMBED_RE.fullmatch(text), text


def test_find_embeds_keeps_first_appearance_order_without_duplicates():
    source = (
        "[[product:b]] then [[article:y]] and [[product:a]]\n\n"
        ":::warning\n[[product:b]] [[product:c]] [[article:x]]\n:::\n\n[[article:y]]\n"
    )
    assert find_embeds(source) == Embeds(products=("b", "a", "c"), articles=("y", "x"))


def test_find_embeds_skips_code_and_matches_rendering():
    source = "`[[product:code]]`\n\n```\n[[article:fenced]]\n```\n\n[[product:real]]\n"
    assert find_embeds(source) == Embeds(products=("real",), articles=())


def test_find_embeds_on_text_without_embeds():
    assert find_embeds("") == Embeds((), ())
    assert find_embeds("[[product:Bad]] [product:x] [[ product:x ]]") == Embeds((), ())


# ------------------------------------------------------------------------- validate_embeds


def test_validate_embeds_reports_unknown_slugs_and_passes_found_slugs():
    calls: dict[str, list[str]] = {}

    def products(slugs):
        calls["products"] = list(slugs)
        return {"heat-pad"}

    def articles(slugs):
        calls["articles"] = list(slugs)
        return set()

    source = "[[product:heat-pad]] [[product:foo]] [[article:bar]] [[product:foo]]"
    errors = validate_embeds(source, products, articles)
    assert errors == [
        'Unknown product "foo" in [[product:foo]].',
        'Unknown article "bar" in [[article:bar]].',
    ]
    assert calls == {"products": ["heat-pad", "foo"], "articles": ["bar"]}


def test_validate_embeds_is_empty_when_everything_exists_and_skips_empty_lookups():
    def no_call(slugs):
        raise AssertionError("should not be called without slugs")

    assert validate_embeds("[[product:a]] [[product:b]]", lambda s: set(s), no_call) == []
    assert validate_embeds("plain text", no_call, no_call) == []


def test_validate_embeds_reports_malformed_embeds():
    source = "[[product:]] [[product:Bad Slug]] [[widget:x]] [[article:a--b]]"
    errors = validate_embeds(source, lambda s: set(s), lambda s: set(s))
    assert len(errors) == 4
    assert errors[0].startswith("Missing product slug in [[product:]]")
    assert errors[1].startswith('Invalid product slug "Bad Slug" in [[product:Bad Slug]]')
    assert errors[2].startswith('Unknown embed type "widget" in [[widget:x]]')
    assert errors[3].startswith('Invalid article slug "a--b" in [[article:a--b]]')


def test_validate_embeds_ignores_embeds_in_code():
    source = "`[[product:example]]` and `[[widget:x]]`\n"
    assert validate_embeds(source, lambda s: set(), lambda s: set()) == []


# ---------------------------------------------------------------------------- properties

FRAGMENTS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">',
    "</a>", "[x](javascript:alert(1))", "<iframe src=x>", "<svg onload=alert(1)>", "javascript:",
    ' onclick="x"', "<", ">", '"', "'", "=", "`", "```", "~~~", "\n", "\n\n", "    ", "> ", "- ",
    "1. ", "## ", "# ", ":::warning", ":::warning Title <b>", ":::", "[[product:pad]]",
    "[[product:missing]]", "[[article:a-b]]", "[[article:missing]]", "[[product:]]", "[[", "]]",
    "*", "_", "|", "---", "&", "&#", "&lt;", "\x00", "\x02", "\x03", "\r", "<h1>", "<h2 id=x>",
    "</h2>", "<aside class=callout>", "<p>", "</p>", "<pre>", "<code>", "text", "é", "\u2028",
    "[ref]: javascript:alert(1)", "[ref]", "<!--", "-->", "<![CDATA[", "<style>", "{: onclick=x}",
]  # fmt: skip


def fuzz_render(text: str) -> RenderedArticle:
    return render_article(
        text,
        lambda slug: None if slug == "missing" else f'<div class="card">{slug}</div>',
        known_link,
    )


def check_rendered(result: RenderedArticle) -> None:
    assert isinstance(result.html, str)
    assert_inert(result.html)
    found = elements(result.html).elements
    ids = [attrs["id"] for _tag, attrs, _p in found if "id" in attrs]
    assert len(ids) == len(set(ids))
    assert all(tag in {"h2", "h3", "h4"} for tag, attrs, _p in found if "id" in attrs)
    assert all(re.fullmatch(r"[\w-]+", anchor) for anchor in ids)
    h2_ids = [attrs.get("id") for tag, attrs, _p in found if tag == "h2"]
    assert [entry.anchor for entry in result.toc] == h2_ids


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_renders_safely(text):
    check_rendered(fuzz_render(text))
    find_embeds(text)
    validate_embeds(text, lambda s: set(), lambda s: set())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=40).map("".join))
def test_hostile_fragment_soup_renders_safely(text):
    check_rendered(fuzz_render(text))
    embeds = find_embeds(text)
    assert len(set(embeds.products)) == len(embeds.products)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=40).map("".join))
def test_find_embeds_agrees_with_what_rendering_looks_up(text):
    products: list[str] = []
    articles: list[str] = []

    def card(slug: str) -> str:
        products.append(slug)
        return "<div>card</div>"

    def link(slug: str) -> tuple[str, str]:
        articles.append(slug)
        return ("t", "/a")

    render_article(text, card, link)
    embeds = find_embeds(text)
    assert tuple(dict.fromkeys(products)) == embeds.products
    assert tuple(dict.fromkeys(articles)) == embeds.articles
