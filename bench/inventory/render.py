#!/usr/bin/env python3
"""Times how long headless Chromium takes to load and lay out an HTML report.

Usage: render.py REPORT.html RUNS OUT.json

Each run is a new Chromium (headless, in a network namespace of its own, on a
file:// URL) on a copy of the page with a script added that, once the page
has loaded, forces a layout and writes into the DOM the times since
navigation started (performance.now()): DOMContentLoaded, load, laid out.
Prints and saves the medians.
"""
import base64, json, os, re, statistics, subprocess, sys, tempfile, time

PROBE = """<script>addEventListener("load", () => {
  const nav = performance.getEntriesByType("navigation")[0];
  document.body.getBoundingClientRect();
  const t = { laidOut: performance.now(), domContentLoaded: nav.domContentLoadedEventEnd,
              load: nav.loadEventStart, responseEnd: nav.responseEnd, domInteractive: nav.domInteractive };
  const out = document.createElement("pre"); out.id = "probe"; out.textContent = btoa(JSON.stringify(t));
  document.body.appendChild(out);
});</script>
"""


def main():
    page, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    html = open(page, encoding="utf-8").read().replace("</body>", PROBE + "</body>", 1)
    work = tempfile.mkdtemp(prefix="vfleet-render-")
    probed = os.path.join(work, "report.html")
    open(probed, "w", encoding="utf-8").write(html)
    samples, walls = [], []
    for i in range(runs + 1):  # the first run warms the disk cache and is not counted
        t0 = time.perf_counter()
        r = subprocess.run([
            "unshare", "--map-root-user", "--net", "--", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + os.path.join(work, "profile"),
            "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,800", "--dump-dom", "file://" + probed,
        ], capture_output=True, text=True, timeout=120)
        wall = time.perf_counter() - t0
        m = re.search(r'<pre id="probe">([A-Za-z0-9+/=]+)</pre>', r.stdout)
        if not m:
            sys.exit("chromium did not run the probe: " + r.stderr[-2000:])
        if i > 0:
            samples.append(json.loads(base64.b64decode(m.group(1))))
            walls.append(wall * 1000)
    med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    med["chromium_wall"] = statistics.median(walls)
    json.dump({"runs": runs, "median_ms": med, "samples": samples}, open(out, "w"), indent=1)
    for k, v in med.items():
        print(f"{k:>17}: {v:8.1f} ms (median of {runs})")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
