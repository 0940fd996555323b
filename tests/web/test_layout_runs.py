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
