//! report.html in a real browser: headless Chromium (Debian's `chromium`; scripts/test.sh
//! installs it with poppler-utils when run as root, as on CI), the network disabled, at 1280
//! and 390 pixels wide. A checking script injected into a copy of the page records console
//! errors, the sections, every chart's bounding box, elements overflowing the page width,
//! what the page fetched, a legend click and a header click; `--dump-dom` hands the record
//! back. The printed PDF must carry every chart's title (pdftotext). Screenshots go to
//! target/browser/, and to docs/img/ with `CREDITLAB_SCREENSHOTS=docs` (the README's picture,
//! docs/img/report-verdict.png, is taken so).
//!
//! Without Chromium the test says what to install and passes, except on CI (`CI` set),
//! where a missing browser is a failure: CI must run it.

use creditlab_study::progress::Silent;
use creditlab_study::{Scenario, Study};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Page widths checked, in CSS pixels: a laptop and a phone (an iPhone 12 to 15).
const WIDTHS: [u32; 2] = [1280, 390];
/// The most any one browser run may take.
const BROWSER_SECONDS: &str = "120";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs Chromium headless with the network disabled on `page`, with `extra` flags; returns
/// standard output.
fn chromium(width: u32, height: u32, extra: &[&str], page: &Path) -> String {
    let out = Command::new("timeout")
        .arg(BROWSER_SECONDS)
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // No network: every host resolves to nothing, and no proxy can reach one.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--virtual-time-budget=10000",
            &format!("--window-size={width},{height}"),
        ])
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// Logs console errors and uncaught exceptions from the first script on.
const CAPTURE: &str = r#"<script>
window.__errors = [];
(function () {
  var error = console.error;
  console.error = function () {
    window.__errors.push(Array.prototype.join.call(arguments, " "));
    error.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    window.__errors.push("uncaught: " + (e.message || (e.target && e.target.outerHTML)));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    window.__errors.push("unhandled rejection: " + e.reason);
  });
})();
</script>
"#;

/// Records what the test checks into `<pre id="browser-check">` once the page has loaded.
const CHECK: &str = r##"<script>
window.addEventListener("load", function () {
  var r = { errors: window.__errors, width: document.documentElement.clientWidth,
            sections: [], charts: [], overflow: [], resources: [], legend: null, sort: null };
  r.resources = performance.getEntriesByType("resource").map(function (e) { return e.name; });
  document.querySelectorAll("main > section").forEach(function (s) { r.sections.push(s.id); });
  document.querySelectorAll("figure").forEach(function (f) {
    var svg = f.querySelector("svg");
    var b = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    r.charts.push([f.id, b.width, b.height]);
  });
  var W = r.width;
  document.querySelectorAll("body *").forEach(function (el) {
    // Inside a scrolling table wrapper or a chart, the wrapper or the chart is what counts.
    if (el.parentElement && el.parentElement.closest(".table-wrap, svg")) { return; }
    var b = el.getBoundingClientRect();
    if (b.width > 0 && (b.right > W + 0.5 || b.left < -0.5)) {
      r.overflow.push(el.tagName + (el.id ? "#" + el.id : "") + " " + Math.round(b.left) +
        ".." + Math.round(b.right));
    }
  });
  r.scroll_width = document.documentElement.scrollWidth;
  var item = document.querySelector("figure svg .legend-item");
  if (item) {
    var svg = item.closest("svg"), k = item.getAttribute("data-series");
    var els = Array.prototype.filter.call(
      svg.querySelectorAll('[data-series="' + k + '"]'), function (e) { return e !== item; });
    var shown = function () {
      return els.filter(function (e) { return getComputedStyle(e).display !== "none"; }).length;
    };
    var before = shown();
    item.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    var hidden = shown();
    item.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    r.legend = { chart: item.closest("figure").id, elements: els.length, before: before,
                 after_click: hidden, after_second_click: shown() };
  }
  var number = function (td) { return parseFloat(td.textContent.replace(/,/g, "")); };
  var tables = document.querySelectorAll("table");
  for (var t = 0; t < tables.length && !r.sort; t++) {
    var table = tables[t], rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    var heads = table.querySelectorAll("thead th");
    for (var c = 0; c < heads.length && rows.length >= 3; c++) {
      var cells = Array.prototype.map.call(rows, function (row) { return row.cells[c]; });
      var plain = cells.every(function (td) {
        return td && /^-?[0-9][0-9,]*(\.[0-9]+)?$/.test(td.textContent.trim());
      });
      var values = cells.map(number);
      var sorted = values.every(function (v, i) { return i === 0 || values[i - 1] <= v; });
      if (!plain || sorted) { continue; }
      var column = function () {
        return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
          return number(row.cells[c]);
        });
      };
      heads[c].dispatchEvent(new MouseEvent("click", { bubbles: true }));
      var up = column();
      heads[c].dispatchEvent(new MouseEvent("click", { bubbles: true }));
      var down = column();
      r.sort = { table: table.id, column: heads[c].textContent, up: up, down: down };
      break;
    }
  }
  parent.postMessage(JSON.stringify(r), "*");
});
</script>
"##;

/// The page in a frame `{W}` pixels wide (a headless window is at least 500 wide, a frame
/// any width: its media queries and layout are those of a `{W}`-pixel screen); the frame's
/// record becomes `<pre id="browser-check">`.
const FRAME: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>body { margin: 0; } iframe { border: 0; display: block; }</style></head>
<body><iframe src="browser-check.html" width="{W}" height="900"></iframe>
<script>
window.addEventListener("message", function (e) {
  var pre = document.createElement("pre");
  pre.id = "browser-check";
  pre.textContent = e.data;
  document.body.appendChild(pre);
});
</script>
</body></html>
"#;

/// Only the verdict, for the README's picture.
const VERDICT_ONLY: &str = "<style>header, nav, main > section:not(#verdict) { display: none; } \
     body { max-width: 1060px; }</style>\n";

fn with(html: &str, head: &str, body_end: &str) -> String {
    html.replacen("<head>\n", &format!("<head>\n{head}"), 1)
        .replacen("</body>", &format!("{body_end}</body>"), 1)
}

fn record(dom: &str) -> serde_json::Value {
    let start = dom
        .find("<pre id=\"browser-check\">")
        .expect("the check ran")
        + 24;
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).expect("the record is JSON")
}

/// What the page holds, from its source: section ids, `(figure id, chart title)` and
/// table ids, in order.
fn expected(html: &str) -> (Vec<&str>, Vec<(String, String)>, Vec<&str>) {
    let ids = |open: &str| -> Vec<&str> {
        html.split(open)
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect()
    };
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let charts = html
        .split("<figure id=\"")
        .skip(1)
        .map(|rest| {
            let id = &rest[..rest.find('"').unwrap()];
            let label = rest.split("aria-label=\"").nth(1).unwrap();
            (id.to_string(), unescape(&label[..label.find('"').unwrap()]))
        })
        .collect();
    (ids("<section id=\""), charts, ids("<table id=\"table-"))
}

/// The quick study's report folder, written once.
fn report_folder() -> (PathBuf, creditlab_report::Report) {
    let mut scenario = Scenario::builtin().unwrap();
    scenario.quicken();
    let study = Study::run(&scenario, &Silent).unwrap();
    let dir = workspace().join("target/browser/report");
    let _ = std::fs::remove_dir_all(&dir);
    study.write(&dir).unwrap();
    (dir, study.report().unwrap())
}

#[test]
fn report_html_works_in_headless_chromium() {
    if !have("chromium") || !have("pdftotext") {
        let msg = "headless browser test skipped: install chromium and poppler-utils \
                   (apt-get install chromium poppler-utils; scripts/test.sh does it as root)";
        assert!(std::env::var_os("CI").is_none(), "{msg}: CI must run it");
        eprintln!("{msg}");
        return;
    }
    // CREDITLAB_BROWSER_REPORT=DIR checks a report already written (the default study's,
    // for the README's picture); otherwise the quick study's, written now.
    let (dir, report) = match std::env::var_os("CREDITLAB_BROWSER_REPORT") {
        Some(d) => (workspace().join(d), None),
        None => {
            let (dir, report) = report_folder();
            (dir, Some(report))
        }
    };
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let (sections, charts, tables) = expected(&html);
    if let Some(report) = &report {
        let ids: Vec<&str> = report.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(sections, ids);
        let ids: Vec<(String, String)> = report
            .charts()
            .map(|c| (format!("chart-{}", c.id()), c.title().to_string()))
            .collect();
        assert_eq!(charts, ids);
        let ids: Vec<&str> = report.tables().map(|t| t.id()).collect();
        assert_eq!(tables, ids);
    }
    let chart_ids: Vec<&str> = charts.iter().map(|c| c.0.as_str()).collect();
    let check_page = dir.join("browser-check.html");
    std::fs::write(&check_page, with(&html, CAPTURE, CHECK)).unwrap();
    for width in WIDTHS {
        let frame = dir.join(format!("browser-frame-{width}.html"));
        std::fs::write(&frame, FRAME.replace("{W}", &width.to_string())).unwrap();
        let r = record(&chromium(
            width.max(500) + 20,
            1000,
            &["--dump-dom"],
            &frame,
        ));
        assert_eq!(r["width"], width, "{r}");
        assert_eq!(
            r["errors"],
            serde_json::json!([]),
            "console errors at {width} px"
        );
        let seen: Vec<&str> = r["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(seen, sections, "sections at {width} px");
        let drawn = r["charts"].as_array().unwrap();
        let ids: Vec<&str> = drawn.iter().map(|c| c[0].as_str().unwrap()).collect();
        assert_eq!(ids, chart_ids, "charts at {width} px");
        for c in drawn {
            let (w, h) = (c[1].as_f64().unwrap(), c[2].as_f64().unwrap());
            assert!(w > 0.0 && h > 0.0, "{} is {w} x {h} at {width} px", c[0]);
            assert!(w <= f64::from(width), "{} is wider than the page", c[0]);
        }
        assert_eq!(
            r["overflow"],
            serde_json::json!([]),
            "overflow at {width} px"
        );
        assert_eq!(
            r["scroll_width"], width,
            "the page scrolls sideways at {width} px"
        );
        // Nothing fetched: the page is one file (the CSV links are only links).
        let fetched: Vec<&str> = r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .filter(|s| !s.starts_with("file://"))
            .collect();
        assert!(fetched.is_empty(), "fetched {fetched:?}");
        // A legend click hides the series' line, markers or bars; a second shows them.
        let legend = &r["legend"];
        let n = legend["elements"].as_u64().unwrap();
        assert!(n > 0, "{legend}");
        assert_eq!(legend["before"].as_u64(), Some(n), "{legend}");
        assert_eq!(legend["after_click"].as_u64(), Some(0), "{legend}");
        assert_eq!(legend["after_second_click"].as_u64(), Some(n), "{legend}");
        // A header click sorts the column up, a second one down.
        let sort = &r["sort"];
        let up: Vec<f64> = serde_json::from_value(sort["up"].clone()).unwrap();
        let down: Vec<f64> = serde_json::from_value(sort["down"].clone()).unwrap();
        assert!(up.windows(2).all(|w| w[0] <= w[1]), "{sort}");
        assert!(down.windows(2).all(|w| w[0] >= w[1]), "{sort}");
        assert!(up.len() >= 3, "{sort}");
    }
    // Every table links to its CSV, and the CSV is there.
    assert!(!tables.is_empty());
    for t in &tables {
        let href = format!("href=\"tables/{t}.csv\"");
        assert!(html.contains(&href), "table {t} has no CSV link");
        assert!(dir.join(format!("tables/{t}.csv")).is_file());
    }

    // The printed PDF has every chart: each chart's title is text on its pages.
    let pdf = dir.join("report.pdf");
    let flag = format!("--print-to-pdf={}", pdf.display());
    chromium(
        1280,
        900,
        &[&flag, "--no-pdf-header-footer"],
        &dir.join("report.html"),
    );
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = squash(&String::from_utf8_lossy(&text.stdout));
    for (id, title) in &charts {
        assert!(text.contains(&squash(title)), "the PDF lacks {id}");
    }

    // Screenshots for the docs.
    let shots = workspace().join("target/browser");
    // With CREDITLAB_BROWSER_REPORT no quick report was written there, so it may not exist.
    std::fs::create_dir_all(&shots).unwrap();
    let verdict_page = dir.join("verdict-only.html");
    std::fs::write(&verdict_page, with(&html, VERDICT_ONLY, "")).unwrap();
    let pictures = [
        ("report-verdict.png", 1100, 2700, &verdict_page),
        ("report-top-1280.png", 1280, 1000, &dir.join("report.html")),
        (
            "report-top-390.png",
            520,
            900,
            &dir.join("browser-frame-390.html"),
        ),
    ];
    let to_docs = std::env::var("CREDITLAB_SCREENSHOTS").is_ok_and(|v| v == "docs");
    for (name, w, h, page) in pictures {
        let path = shots.join(name);
        chromium(w, h, &[&format!("--screenshot={}", path.display())], page);
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}");
        if to_docs {
            std::fs::write(workspace().join("docs/img").join(name), png).unwrap();
        }
    }
}
