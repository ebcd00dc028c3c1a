"""Visual regression: every page inside the tour looks as it does opened directly (`voicetour looks`).

Real parts: the product on a real server on 127.0.0.1, voicetour serving the tour (the product at
its root, proxied or from a folder), headless Chromium capturing both 2 s after load at the same
size. A product shown through the tour without its stylesheets differed by 44-47 (0-255 scale)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from voicetour.bench.looks import compare, difference
from voicetour.cli import demo_app_dir, demo_site_path
from voicetour.crawl.build import build_site
from voicetour.crawl.fetch import crawl_static
from voicetour.server.app import create_app
from voicetour.session.engine import Engine
from voicetour.site.model import load_site, parse_site

from .conftest import running

ROOT = Path(__file__).resolve().parent.parent
APPS = {  # name: (folder under .cache/apps, the folder served, start page, pages checked; None: all)
    "sb-admin-2": ("startbootstrap-sb-admin-2", "", "/index.html", None),
    "sneat": ("sneat-bootstrap-html-admin-template-free", "", "/html/index.html", None),
    # root-relative assets ("/assets/main.css", "/js/main.js"): the case that used to show unstyled
    "gentelella": ("gentelella", "dist", "/production/index.html", 12),
}
MAX_ABOVE_OWN = 2.0


def _static(folder: Path) -> Starlette:
    return Starlette(routes=[Mount("/", StaticFiles(directory=folder, html=True))])


def _check(looks: list, name: str) -> None:  # type: ignore[type-arg]
    worst = sorted(looks, key=lambda x: -x.excess)[:5]
    print(name, "worst pages (url, tour vs direct, the page's own level):",
          [(x.url, x.tour, x.own, x.error) for x in worst])
    assert looks, name
    assert not [x for x in looks if x.error], worst
    assert all(x.excess <= MAX_ABOVE_OWN for x in looks), worst


def test_difference_measures_what_it_says() -> None:
    import io

    from PIL import Image

    def png(color: tuple[int, int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (4, 2), color).save(out, "PNG")
        return out.getvalue()

    assert difference(png((10, 20, 30)), png((10, 20, 30))) == 0.0
    assert difference(png((0, 0, 0)), png((30, 0, 0))) == 10.0  # 30 on one channel of three
    assert difference(png((0, 0, 0)), png((255, 255, 255))) == 255.0


@pytest.mark.slow
def test_the_demo_app_looks_like_itself_in_the_tour(engine) -> None:  # type: ignore[no-untyped-def]
    site = load_site(demo_site_path())
    with running(_static(demo_app_dir())) as direct, running(create_app(site, app_dir=demo_app_dir(),
                                                                        engine=engine)) as tour:
        looks = compare(site, f"http://127.0.0.1:{tour}", f"http://127.0.0.1:{direct}", recheck_above=MAX_ABOVE_OWN)
    assert len(looks) == len(site.pages)
    _check(looks, "demo")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(APPS))
def test_a_real_product_looks_like_itself_in_the_tour(name: str, tmp_path: Path) -> None:
    package, served, start, limit = APPS[name]
    folder = ROOT / ".cache" / "apps" / package
    assert (folder / "package.json").exists(), f"{folder} is missing: run scripts/setup.sh (it fetches it from npm)"
    with running(_static(folder / served)) as port:
        product = f"http://127.0.0.1:{port}"
        site = parse_site(build_site(crawl_static(product + start)))
        with running(create_app(site, engine=Engine.for_site(site, verify=False))) as tour:
            looks = compare(site, f"http://127.0.0.1:{tour}", product, out=tmp_path, limit=limit,
                            recheck_above=MAX_ABOVE_OWN)
    assert len(looks) == (limit or len(site.pages))
    _check(looks, name)
