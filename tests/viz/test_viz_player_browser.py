"""viz.play_backward played in a real browser: headless Chromium via Selenium.

The saved page is opened from a file:// URL and stepped with the buttons,
the arrow keys, the slider and reset; what it shows must be the steps'
numbers.  A notebook calling play_backward is run and exported to HTML with
nbconvert, and the player must work there and fit its output column.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium,
/usr/bin/chromedriver) and the selenium package; no browser or driver is
ever downloaded.  Without them the tests skip, except when CI is set: then
they fail, as .ci/setup installs them.  Every host name resolves to nothing
in the browser, so a page that tried to fetch anything would not get it.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import viz
from autodiff import Value

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is missing (pip install selenium)"
    return None


@pytest.fixture(scope="module")
def browser(require_dot_module):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}: .ci/setup must install it")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=900,900", f"--user-data-dir={profile}",
        # offline: no host name resolves
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):
        options.add_argument(argument)
    # The driver given by path, so that Selenium Manager downloads nothing.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def require_dot_module():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")


def neuron():
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    b = Value(0.25, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def reused():
    x = Value(1.5, label="x")
    y = Value(-0.5, label="y")
    z = x * y + x.exp() * x  # x used three times
    z.label = "z"
    return z


def shown(driver):
    """What the page shows: (node position, gradient received, step text)."""
    from selenium.webdriver.common.by import By

    node = driver.find_element(By.ID, "current-node")
    grad = driver.find_element(By.ID, "current-grad")
    return (
        int(node.get_attribute("data-node")),
        float(grad.get_attribute("data-value")),
        driver.find_element(By.ID, "step-index").text,
    )


def grad_cells(driver) -> dict:
    """The text of each value's grad cell in the picture, by node position."""
    return driver.execute_script(
        "var out = {};"
        "document.querySelectorAll('#graph g.node[id^=v]').forEach(function (g) {"
        "  g.querySelectorAll('text').forEach(function (t) {"
        "    if (t.textContent.indexOf('grad') === 0) { out[g.id.slice(1)] = t.textContent; }"
        "  });"
        "});"
        "return out;"
    )


def check_player(driver, steps):
    """Step through the page with every control and compare with ``steps``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from viz.render import number

    n = len(steps)
    assert shown(driver) == (steps[0].node, steps[0].grad, f"step 1 of {n}")
    next_button = driver.find_element(By.ID, "next")
    for k in range(1, n):
        if k % 2:
            next_button.click()
        else:
            ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
        assert shown(driver) == (steps[k].node, steps[k].grad, f"step {k + 1} of {n}")
        # the current node is highlighted, and the gradients filled in so far
        current = driver.find_element(By.ID, f"v{steps[k].node}")
        assert "current" in current.get_attribute("class").split()
        cells = grad_cells(driver)
        for i, g in enumerate(steps[k].grads):
            received = g != 0.0 or i == steps.ids[steps.root]
            if received:
                assert cells[str(i)] == f"grad {number(g)}"
    next_button.click()  # past the end: stays on the last step
    assert shown(driver)[2] == f"step {n} of {n}"
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    assert shown(driver)[:2] == (steps[n - 2].node, steps[n - 2].grad)
    driver.find_element(By.ID, "prev").click()
    assert shown(driver)[:2] == (steps[n - 3].node, steps[n - 3].grad)

    # the slider: set it as a user would, firing its input event
    slider = driver.find_element(By.ID, "slider")
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        slider,
        1,
    )
    assert shown(driver)[:2] == (steps[1].node, steps[1].grad)
    driver.execute_script("arguments[0].focus()", slider)  # a click would jump
    slider.send_keys(Keys.ARROW_RIGHT)  # the slider's own key: one step on, once
    assert shown(driver)[:2] == (steps[2].node, steps[2].grad)

    driver.find_element(By.ID, "reset").click()
    assert shown(driver) == (steps[0].node, steps[0].grad, f"step 1 of {n}")
    assert slider.get_attribute("value") == "0"
    # at the start only the root's gradient and its pushes are shown
    cells = grad_cells(driver)
    assert cells[str(steps.ids[steps.root])] == "grad 1"
    pushed = {p.parent for p in steps[0].pushes}
    for i, text in cells.items():
        if int(i) not in pushed and int(i) != steps.ids[steps.root]:
            assert text == "grad \u00b7"


@pytest.mark.parametrize("make", [neuron, reused], ids=["tanh-neuron", "reused-input"])
def test_saved_page_plays_the_engines_steps(browser, tmp_path, make):
    root = make()
    player = viz.play_backward(root)
    path = player.save(tmp_path / "backprop.html")
    browser.get(path.as_uri())
    check_player(browser, player.steps)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= (
        browser.execute_script("return document.documentElement.clientWidth")
    )


def test_focused_page_marks_partial_inputs(browser, tmp_path):
    from selenium.webdriver.common.by import By

    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    c = Value(3.0, label="c")
    root = (x * w).tanh() + (c * w)  # focus x: c*w is a direct input, c is not shown
    player = viz.play_backward(root, focus=x)
    assert c not in player.steps.ids
    browser.get(player.save(tmp_path / "focused.html").as_uri())
    check_player(browser, player.steps)
    # w's gradient is only the part from the values shown: the page says so
    # on the pushes to w and on no other
    w_position = player.steps.ids[w]
    for k, step in enumerate(player.steps):
        if k:
            browser.find_element(By.ID, "next").click()
        rows = browser.find_elements(By.CSS_SELECTOR, "#pushes-body tr")
        assert len(rows) == len(step.pushes)
        for row, push in zip(rows, step.pushes):
            marked = "(from the values shown)" in row.text
            assert marked == (push.parent == w_position), row.text


def test_screenshot(browser, tmp_path):
    player = viz.play_backward(reused())
    browser.get(player.save(tmp_path / "backprop.html").as_uri())
    from selenium.webdriver.common.by import By

    for _ in range(3):
        browser.find_element(By.ID, "next").click()
    png = tmp_path / "player.png"
    assert browser.save_screenshot(str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("CHAINRULE_SCREENSHOT")  # a path to keep the picture at
    if keep:
        shutil.copyfile(png, keep)


def test_player_in_a_notebook_exported_by_nbconvert(browser, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    from nbconvert.preprocessors import ExecutePreprocessor
    from selenium.webdriver.common.by import By

    # The kernel imports chainrule from this checkout.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from autodiff import Value\n"
            "import viz\n"
            "x = Value(1.5, label='x'); y = Value(-0.5, label='y')\n"
            "z = x * y + x.exp() * x; z.label = 'z'\n"
            "viz.play_backward(z)"
        ),
        nbformat.v4.new_code_cell("viz.play_backward(z, rankdir='TB')"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(
        notebook, {"metadata": {"path": str(tmp_path)}}
    )
    outputs = notebook.cells[0].outputs
    assert outputs and "text/html" in outputs[0]["data"], outputs
    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    page = tmp_path / "notebook.html"
    page.write_text(body, encoding="utf-8")

    browser.set_window_size(700, 900)  # a narrow column: the pictures must shrink to it
    try:
        browser.get(page.as_uri())
        frames = browser.find_elements(By.CSS_SELECTOR, "iframe.chainrule-player")
        assert len(frames) == 2
        # no output wider than its column
        overflow = browser.execute_script(
            "var bad = [];"
            "document.querySelectorAll('.jp-OutputArea-output, .output_area, .jp-Cell-outputArea')"
            ".forEach(function (el) {"
            "  if (el.scrollWidth > el.clientWidth) { bad.push([el.className, el.scrollWidth,"
            "      el.clientWidth]); }"
            "});"
            "return [bad, document.querySelectorAll('.jp-OutputArea-output').length];"
        )
        assert overflow[1] >= 2 and overflow[0] == []
        steps = viz.backward_steps(reused())  # the notebook's graph, built here too
        for frame in frames:
            browser.switch_to.frame(frame)
            try:
                check_player(browser, steps)
                inner = browser.execute_script(
                    "return [document.documentElement.scrollWidth,"
                    " document.documentElement.clientWidth,"
                    " document.getElementById('player').getBoundingClientRect().bottom]"
                )
                assert inner[0] <= inner[1]
            finally:
                browser.switch_to.default_content()
            # the frame is as tall as the player it holds: nothing cut off, no gap
            assert inner[2] <= frame.size["height"] <= inner[2] + 10
    finally:
        browser.set_window_size(900, 900)



NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_output_fits_a_1000px_column(browser, tmp_path, monkeypatch, path):
    """Each notebook, executed by nbconvert and exported to HTML, read in a
    1,000 px window: no output is wider than its column, and every picture
    (SVG, image, player frame) stays inside it."""
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    from nbconvert.preprocessors import ExecutePreprocessor

    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    )
    notebook = nbformat.read(path, as_version=4)
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(
        notebook, {"metadata": {"path": str(tmp_path)}}
    )
    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    page = tmp_path / f"{path.stem}.html"
    page.write_text(body, encoding="utf-8")
    browser.set_window_size(1000, 900)
    try:
        browser.get(page.as_uri())
        report = browser.execute_script(
            "var bad = [], pictures = 0;"
            "document.querySelectorAll('.jp-OutputArea-output').forEach(function (out) {"
            "  if (out.scrollWidth > out.clientWidth + 1) {"
            "    bad.push(['output', out.scrollWidth, out.clientWidth]); }"
            "  var column = out.getBoundingClientRect();"
            "  out.querySelectorAll('svg, img, iframe').forEach(function (el) {"
            "    if (el.closest('svg') !== el && el.tagName.toLowerCase() === 'svg') return;"
            "    pictures += 1;"
            "    var box = el.getBoundingClientRect();"
            "    if (box.right > column.right + 1 || box.left < column.left - 1) {"
            "      bad.push([el.tagName, Math.round(box.width), Math.round(column.width)]); }"
            "  });"
            "});"
            "return [bad, pictures, document.documentElement.scrollWidth,"
            "        document.documentElement.clientWidth];"
        )
    finally:
        browser.set_window_size(900, 900)
    bad, pictures, page_width, window_width = report
    assert pictures >= 1, "no picture found: the check would pass vacuously"
    assert bad == [], bad
    assert page_width <= window_width
