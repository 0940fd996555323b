"""layout.js lays a month out page by page (month-pages.js folds the pages far from the screen
and lays out the others from the first one's start): a run of pages laid out from the state an
earlier layout gave its first page puts every photo where the layout of the whole month does,
for random months (days of a few photos to bursts, panoramas and strips), page sizes (one photo
to 500) and widths. Only the photos a run's last row shares with a folded page after it are
left out: that row is finished by the folded page, four screens away."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import start_server

from web.test_browser import _new_page, browser  # noqa: F401 (browser: the module's fixture)

pytestmark = pytest.mark.backend_independent

CHECK = """async (trials) => {
  const { layoutRun, startState } = await import("/static/web/js/layout.js");
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const round = (v) => v.toFixed(3);
  const where = (laid) => {
    const placed = new Map();
    for (const day of laid.days) for (const row of day.rows) for (const one of row.tiles) {
      const box = [day.x + one.x, day.y + row.y, one.width, row.height];
      placed.set(one.photo.id, box.map(round).join());
    }
    return placed;
  };
  const wrong = [];
  for (let trial = 0; trial < trials; trial += 1) {
    const count = 50 + Math.floor(random() * 2000);
    const gap = [60e3, 30 * 60e3, 8 * 3600e3][Math.floor(random() * 3)];
    let t = Date.UTC(2024, 11, 31, 23);
    const photos = [];
    for (let i = 0; i < count; i += 1) {
      t -= gap * (0.2 + random() * 1.6);
      const aspect = random() < 0.2 ? 0.2 + random() * 5 : 1.33;
      photos.push({ id: `p${i}`, aspect, taken_at: new Date(t).toISOString() });
    }
    const size = [1 + Math.floor(random() * 60), 120, 500][Math.floor(random() * 3)];
    const pages = [];
    for (let i = 0; i < count; i += size) pages.push(photos.slice(i, i + size));
    const width = [400, 800, 1280, 1425][Math.floor(random() * 4)];
    const whole = layoutRun(pages, startState(), width, 210, 200);
    const all = where(whole);
    for (let a = 1; a < pages.length; a += 1) {
      for (const b of new Set([a + 1, pages.length])) {
        const part = layoutRun(pages.slice(a, b), whole.states[a], width, 210, 200);
        const unfinished = new Set(b < pages.length ? whole.states[b].carry.map((p) => p.id) : []);
        const placed = where(part);
        for (const page of pages.slice(a, b)) {
          for (const photo of page) {
            if (!unfinished.has(photo.id) && placed.get(photo.id) !== all.get(photo.id)) {
              wrong.push([trial, a, b, photo.id, placed.get(photo.id), all.get(photo.id)]);
            }
          }
        }
        if (b === pages.length && round(part.loaded) !== round(whole.loaded)) {
          wrong.push([trial, a, "end"]);
        }
      }
    }
  }
  return wrong.slice(0, 5);
}"""


def test_a_run_of_pages_lays_out_as_the_whole_month(browser: Any,  # noqa: F811
                                                     tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        page = _new_page(browser, 800, 600)
        page.goto(f"{server.url}/login")
        assert page.evaluate(CHECK, 120) == []
    finally:
        server.stop()


# A month laid out, its far pages folded (month-pages.js), then laid out at another width: the
# photos of its pages held are where a layout of the whole month at that width puts them, its
# height is the whole month's, and it still has its folded pages (nothing to fetch again).
REFOLD = """async (trials) => {
  const { layoutRun, startState } = await import("/static/web/js/layout.js");
  const { emptyMonth, foldMonth, layoutPages, newPage } =
    await import("/static/web/js/month-pages.js");
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const where = (days) => {
    const placed = new Map();
    for (const day of days) for (const row of day.rows) for (const one of row.tiles) {
      const box = [day.x + one.x, day.y + row.y, one.width, row.height];
      placed.set(one.photo.id, box.map((v) => v.toFixed(3)).join());
    }
    return placed;
  };
  const wrong = [];
  for (let trial = 0; trial < trials; trial += 1) {
    const count = 1200 + Math.floor(random() * 2000);
    const gap = [60e3, 30 * 60e3, 8 * 3600e3][Math.floor(random() * 3)];
    let t = Date.UTC(2024, 11, 31, 23);
    const photos = [];
    for (let i = 0; i < count; i += 1) {
      t -= gap * (0.2 + random() * 1.6);
      const aspect = random() < 0.3 ? (0.2 + random() * 5).toFixed(4) : "1.3333";
      photos.push({ id: `p${i}`, aspect, taken_at: new Date(t).toISOString() });
    }
    const size = [120, 500][Math.floor(random() * 2)];
    const month = { ...emptyMonth("2024-12", count), cursor: null };
    for (let i = 0; i < count; i += size) {
      month.pages.push(newPage(`c${i}`, photos.slice(i, i + size)));
    }
    const [before, after] = [[1280, 800], [800, 1425], [1425, 400], [400, 1280]][trial % 4];
    month.layout = layoutPages(month, before, 210, 200);
    const middle = month.pages[Math.floor(month.pages.length / 2)].span;
    foldMonth(month, (middle.top + middle.bottom) / 2, (middle.top + middle.bottom) / 2 + 1);
    const folded = month.pages.filter((page) => !page.photos).length;
    const height = after < 900 ? 160 : 210;
    month.layout = layoutPages(month, after, height, 200);
    const whole = layoutRun(month.pages.map((_, k) => photos.slice(k * size, (k + 1) * size)),
      startState(), after, height, 200);
    const all = where(whole.days);
    const held = where(month.layout.days);
    const still = month.pages.filter((page) => !page.photos).length;
    if (!folded || still !== folded) wrong.push([trial, "folded", folded, still]);
    if (month.layout.loaded.toFixed(3) !== whole.loaded.toFixed(3)) wrong.push([trial, "end"]);
    month.pages.forEach((page, k) => {
      if (!page.photos) { // placed from its shapes alone: exactly where its photos would be
        const span = whole.spans[k];
        if (page.span.top !== span.top || page.span.bottom !== span.bottom) {
          wrong.push([trial, k, "folded span"]);
        }
        return;
      }
      const next = month.pages[k + 1];
      const carried = next && !next.photos ? whole.states[k + 1].carry : [];
      const unfinished = new Set(carried.map((p) => p.id));
      for (const photo of page.photos) {
        if (!unfinished.has(photo.id) && held.get(photo.id) !== all.get(photo.id)) {
          wrong.push([trial, k, photo.id, held.get(photo.id), all.get(photo.id)]);
        }
      }
      if (page.span.top.toFixed(3) !== whole.spans[k].top.toFixed(3)) {
        wrong.push([trial, k, "span"]);
      }
    });
    if (!held.size) wrong.push([trial, "nothing held"]);
  }
  return wrong.slice(0, 8);
}"""


def test_a_folded_month_laid_out_at_a_new_width_is_the_whole_month_at_it(browser: Any,  # noqa: F811
                                                                          tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        page = _new_page(browser, 800, 600)
        page.goto(f"{server.url}/login")
        assert page.evaluate(REFOLD, 40) == []
    finally:
        server.stop()
