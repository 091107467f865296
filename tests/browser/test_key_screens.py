"""The key screens of ../shared/UX.md on a 360 × 740 phone, in Russian and Kazakh (issue 13, item 10):
axe-core finds no serious or critical violation, the header is at most 64 px tall, every tap target is at
least 44 × 44 px (links inside running text aside; map markers at least 32 px; the targets the new-user walk found
small are measured by name, running text or not), nothing scrolls sideways and no card label splits a word.

Each screen is checked twice: as it loads, and with every <details> opened (the header's menu, the catalogue's
filters), so that what a closed menu hides is measured too. What each screen showed is written to
test-artifacts/key-screens-<who>-<locale>.json."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS, STRIPE, axe_violations, choose_language, log_in

LOCALES = ["ru-RU", "kk-KZ"]
MIN_TARGET = 44
MIN_MARKER = 32  # map markers (issue 13, item 5: "at least 32 px")
HEADER_MAX = 64

DEMO = "@demo.social-window.kz"
SCREENS = {
    None: ["/", "/needs/", "/needs/{need_id}", "/offices/"],
    "family" + DEMO: ["/family/household", "/family/needs"],
    "volunteer" + DEMO: ["/volunteer/tasks", "/volunteer/profile"],
    # A logged-in reader sees the need page's "Report a problem" toggle; the patron's pledges are a card table.
    "patron" + DEMO: ["/needs/{need_id}", "/needs/{need_id}/pledge", "/patron/"],
    "staff" + DEMO: ["/staff/queue", "/staff/dispatch", "/staff/households/{household_id}", "/staff/pledges"],
    "admin" + DEMO: ["/dashboard", "/admin/offices", "/admin/users", "/admin/audit", "/admin/audit?object_type=need"],
}
# Targets the walk at 360 px found too small, which every run must find on their screens and measure (a target
# missing from its screen fails too: the check must not pass by not looking).
MEASURED = {
    ("patron" + DEMO, "/needs/{need_id}"): ["#report details > summary"],
    ("admin" + DEMO, "/dashboard"): ["main a[href$='status=pending_approval']"],
    ("admin" + DEMO, "/admin/audit?object_type=need"): ["main form.audit-filters a[href='/admin/audit']"],
    ("family" + DEMO, "/family/household"): ["main a[href^='/files/']"],
    ("staff" + DEMO, "/staff/pledges"): ["main td form button[type=submit]"],
}

# Parts left out of both checks until the audit/history work (templates/admin/_audit_table.html, its timeline)
# is merged: they fail only inside what that work replaces. The lead removes this after the merge.
# Parts of a screen left out of the checks, each with why; none since the audit table became a timeline.
PENDING_AUDIT_HELPER: dict[str, list[str]] = {}

# What a thumb taps, measured as the eye sees it: a checkbox or a radio button counts with its label (tapping
# the label ticks it), a link among words on the same line is running text (WCAG 2.5.8's inline exception).
TARGETS_SCRIPT = """
({minimum, markerMinimum, excluded}) => {
  const tappable = 'a[href], button, select, summary, input:not([type=hidden]), textarea, [role=button], '
                 + '[role=link], [tabindex="0"]';
  const skip = (el) => excluded.some((selector) => el.closest(selector));
  const shown = (el) => {
    const closed = el.closest('details:not([open])');
    if (closed && el !== closed.querySelector(':scope > summary')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 || box.height > 0;
  };
  const isText = (node) => {
    const parent = node.parentElement;
    return node.textContent.trim() !== '' && parent && !parent.closest(
      'a, button, summary, .badge, .visually-hidden, [aria-hidden="true"], script, style');
  };
  const blockOf = (el) => {
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    return block;
  };
  const sameLine = (a, b) => Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > Math.min(a.height, b.height) / 2;
  const inline = (el) => getComputedStyle(el).display.startsWith('inline');
  // Words run on into the link from this side (-1 before it, 1 after it), with no line break or block between.
  const wordsBeside = (el, block, side) => {
    for (let node = el; node && node !== block; node = node.parentElement) {
      for (let next = side < 0 ? node.previousSibling : node.nextSibling; next;
           next = side < 0 ? next.previousSibling : next.nextSibling) {
        if (next.nodeType === Node.TEXT_NODE) {
          if (next.textContent.trim()) return true;
        } else if (next.nodeType === Node.ELEMENT_NODE) {
          if (next.tagName === 'BR' || !inline(next)) return false;
          const walker = document.createTreeWalker(next, NodeFilter.SHOW_TEXT);
          for (let text = walker.nextNode(); text; text = walker.nextNode()) if (isText(text)) return true;
        }
      }
      if (!node.parentElement || !inline(node.parentElement)) return false;
    }
    return false;
  };
  // A link is in running text when words that are not themselves a target run on into it or share its line.
  const inRunningText = (el) => {
    if (el.tagName !== 'A') return false;
    const block = blockOf(el);
    if (!block) return false;
    if (wordsBeside(el, block, -1) || wordsBeside(el, block, 1)) return true;
    const lines = [...el.getClientRects()];
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!isText(node)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) {
        if (rect.width > 0 && lines.some((line) => sameLine(line, rect))) return true;
      }
    }
    return false;
  };
  const name = (el) => {
    const label = el.labels && el.labels.length ? el.labels[0].textContent : '';
    const image = el.querySelector('img[alt]');
    const text = (el.getAttribute('aria-label') || label || el.textContent.trim() || (image && image.alt) || el.value
                  || el.name || '').replace(/\\s+/g, ' ');
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/)[0] : '';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} "${text.trim().slice(0, 30)}"`;
  };
  const union = (rects) => {
    const left = Math.min(...rects.map((r) => r.left)), top = Math.min(...rects.map((r) => r.top));
    return {width: Math.max(...rects.map((r) => r.right)) - left, height: Math.max(...rects.map((r) => r.bottom)) - top};
  };
  const small = [];
  for (const el of document.querySelectorAll(tappable)) {
    if (skip(el) || !shown(el) || inRunningText(el)) continue;
    const boxes = [el.getBoundingClientRect()];
    const pictures = [...el.querySelectorAll('img, svg')].map((picture) => picture.getBoundingClientRect());
    if (pictures.length) boxes.push(union([boxes[0], ...pictures]));  // an inline link's picture is tapped too
    const stretched = getComputedStyle(el, '::after');   // a card's heading link stretched over the card
    if (stretched.content !== 'none' && stretched.position === 'absolute' && el.offsetParent
        && ['top', 'right', 'bottom', 'left'].every((side) => stretched[side] === '0px')) {
      boxes.push(el.offsetParent.getBoundingClientRect());
    }
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      for (const label of el.labels || []) boxes.push(label.getBoundingClientRect());
    }
    const least = el.matches('.leaflet-marker-icon') ? markerMinimum : minimum;
    if (!boxes.some((box) => box.width >= least && box.height >= least)) {
      const box = boxes.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
      small.push(`${name(el)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}
"""


def _ids() -> dict:
    """Demo objects the key screens show: an open need with a money goal, a household waiting for ALA-01."""
    from marketplace.core.extensions import db
    from marketplace.families.models import Household, HouseholdStatus
    from marketplace.needs.models import Need, NeedStatus
    from marketplace.offices.models import Office

    with STRIPE["app"].app_context():
        office = db.session.scalar(select(Office.id).where(Office.code == "ALA-01"))
        need = db.session.scalar(select(Need.id).where(
            Need.office_id == office, Need.status == NeedStatus.VERIFIED, Need.money_goal.is_not(None),
            Need.hidden_at.is_(None)).order_by(Need.id))
        household = db.session.scalar(select(Household.id).where(
            Household.office_id == office, Household.status == HouseholdStatus.SUBMITTED).order_by(Household.id))
    assert need and household, "the demo data has an open need and a waiting household in ALA-01"
    return {"need_id": need, "household_id": household}


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


LOAD_LAZY_IMAGES = """async () => {
  const images = [...document.querySelectorAll('img[loading=lazy]')];
  images.forEach((img) => { img.loading = 'eager'; });
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
}"""


# Boxes that scroll sideways (a table in a scroll box: the walk found the pledge tables 793 px wide in 326 px), and
# the page itself wider than the screen.
SCROLL_BOXES_SCRIPT = """() => {
  const found = [...document.querySelectorAll('main *')].filter((el) => {
    const style = getComputedStyle(el);
    return ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
  }).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}/${el.clientWidth} px`);
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth + 1) found.push(`the page ${page.scrollWidth}/${page.clientWidth} px`);
  return found;
}"""

# A card table's label (its column's name, `::before`) split inside a word ("Қызметкерле / р"): each word of the
# label is measured in the label's font against the label column's width.
SPLIT_LABELS_SCRIPT = """() => {
  const split = [];
  const probe = document.createElement('span');
  probe.style.position = 'absolute'; probe.style.visibility = 'hidden'; probe.style.whiteSpace = 'nowrap';
  document.body.appendChild(probe);
  for (const cell of document.querySelectorAll('.table-cards td[data-label]')) {
    const label = getComputedStyle(cell, '::before');
    if (label.content === 'none' || label.display === 'none' || !cell.getClientRects().length) continue;
    const room = parseFloat(label.width) - parseFloat(label.paddingLeft) - parseFloat(label.paddingRight);
    probe.style.font = label.font;
    for (const word of cell.dataset.label.split(/\\s+/)) {
      probe.textContent = word;
      if (probe.getBoundingClientRect().width > room + 0.5) split.push(`${word} (${Math.round(room)} px)`);
    }
  }
  probe.remove();
  return split;
}"""


def check(page, excluded: list[str], measured: list[str] = ()) -> dict:
    """The screen's problems as loaded (lazy pictures too, at their size), then with every <details> open."""
    page.evaluate(LOAD_LAZY_IMAGES)
    header = page.locator(".site-header").first.bounding_box()
    context = {"exclude": [[selector] for selector in excluded]} if excluded else None
    arguments = {"minimum": MIN_TARGET, "markerMinimum": MIN_MARKER, "excluded": excluded}
    axe = axe_violations(page, context=context)
    small = page.evaluate(TARGETS_SCRIPT, arguments)
    scrolling = page.evaluate(SCROLL_BOXES_SCRIPT)
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    axe += axe_violations(page, context=context)
    small += page.evaluate(TARGETS_SCRIPT, arguments)
    scrolling += page.evaluate(SCROLL_BOXES_SCRIPT)
    missing = []
    for selector in measured:
        boxes = [box for box in (target.bounding_box() for target in page.locator(selector).all()) if box]
        if not boxes:
            missing.append(f"{selector}: not on the screen")
        small += [f"{selector} {round(box['width'])}×{round(box['height'])}" for box in boxes
                  if box["height"] < MIN_TARGET or box["width"] < MIN_TARGET]
    return {
        "axe": _unique(axe),
        "header": [f"{round(header['height'])} px"] if header is None or header["height"] > HEADER_MAX else [],
        "small targets": _unique(small),
        "sideways scrolling": _unique(scrolling),
        "labels split inside a word": _unique(page.evaluate(SPLIT_LABELS_SCRIPT)),
        "measured targets missing": missing,
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("who", list(SCREENS), ids=lambda who: (who or "visitor").split("@")[0])
def test_key_screens_on_a_phone(phones, live_server, locale, who):
    ids = _ids()
    code = locale[:2]
    page = phones(locale=locale)
    page.goto("/")
    if who:
        log_in(page, who, DEMO_PASSWORD)
    if page.locator("html").get_attribute("lang") != code:  # the demo accounts are Russian
        choose_language(page, code)
    problems, figures = {}, {}
    try:
        for path in SCREENS[who]:
            response = page.goto(path.format(**ids))
            assert response.ok, f"{path}: {response.status}"
            assert page.locator("html").get_attribute("lang") == code, path
            found = check(page, PENDING_AUDIT_HELPER.get(path, []), MEASURED.get((who, path), []))
            figures[path] = found
            if any(found.values()):
                problems[path] = {kind: items for kind, items in found.items() if items}
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        name = (who or "visitor").split("@")[0]
        (ARTIFACTS / f"key-screens-{name}-{locale}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))
        if who and code != "ru":
            page.goto("/")
            choose_language(page, "ru")  # the demo account's own language again, for the other tests
    assert problems == {}
