/// The HTML report's style and script, inline on purpose: the page must not
/// fetch anything, so that it opens offline, mailed or archived.
enum InventoryPageAssets {
    static let style = #"""

        body { font: 13px/1.35 system-ui, sans-serif; margin: 0.8em 1.2em; color: #111827; }
        header { display: flex; align-items: baseline; gap: 1em; flex-wrap: wrap; }
        h1 { font-size: 1.4em; margin: 0; }
        h2 { font-size: 1em; margin: 0 0 0.3em; }
        .generated { color: #4b5563; margin: 0; }
        .overview { display: grid; grid-template-columns: repeat(auto-fit, minmax(13em, 1fr)); gap: 0.6em; margin: 0.6em 0; }
        .card { border: 1px solid #d1d5db; border-radius: 6px; padding: 0.4em 0.6em; }
        .card p { margin: 0.2em 0 0; }
        .card.warn { border-color: #d97706; background: #fffbeb; }
        .big { font-size: 1.6em; font-weight: 600; line-height: 1.1; }
        .bad { color: #b91c1c; }
        .bar { position: relative; display: flex; height: 1em; background: #e5e7eb; border-radius: 3px; overflow: hidden; }
        .bar .reserved { background: #9ca3af; }
        .bar .allocated { background: #60a5fa; }
        .bar .over { background: #dc2626; }
        .bar .used { position: absolute; left: 0; top: 0.3em; height: 0.4em; background: #1e3a8a; }
        .alert { color: #b91c1c; margin: 0.3em 0; }
        .alert span { text-decoration: underline dotted; }
        .unknown-guests { color: #92400e; margin: 0.3em 0; }
        .heat { margin: 0.5em 0; }
        .heat h2 { display: inline; margin-right: 1em; }
        .legend { display: inline; color: #4b5563; }
        .key { margin-right: 1.2em; white-space: nowrap; }
        .heat i { display: inline-block; width: 12px; height: 12px; margin: 0 2px 2px 0; vertical-align: middle; }
        .key i { margin: 0 1px; }
        .cells { line-height: 0; margin-top: 0.3em; }
        .m0 { background: #dcfce7; } .m1 { background: #bbf7d0; } .m2 { background: #86efac; }
        .m3 { background: #4ade80; } .m4 { background: #a3e635; } .m5 { background: #facc15; }
        .m6 { background: #fb923c; } .m7 { background: #f97316; } .m8 { background: #ef4444; }
        .m9 { background: #991b1b; }
        .heat i.down { background: repeating-linear-gradient(45deg, #6b7280 0 2px, #e5e7eb 2px 4px); }
        .heat i.over { box-shadow: inset 0 0 0 2px #7c3aed; }
        .heat i.cordoned { border-radius: 50%; }
        .listing { margin: 0.6em 0; }
        .listing-head { display: flex; align-items: baseline; gap: 0.8em; margin-bottom: 0.3em; }
        .listing-head h2 { margin: 0; }
        .count { color: #4b5563; }
        .hint { color: #9ca3af; }
        .controls { display: none; }
        .js .controls { display: inline; }
        input[type=search] { width: 18em; font: inherit; }
        .scroll { max-height: 70vh; overflow: auto; border: 1px solid #d1d5db; }
        .listing table, .listing thead, .listing tbody { display: block; }
        .listing thead { position: sticky; top: 0; z-index: 1; width: max-content; min-width: 100%; background: #f3f4f6; }
        .listing tr { display: flex; width: max-content; min-width: 100%; }
        /* Rows off screen are not laid out until scrolled to. */
        .listing tbody tr { content-visibility: auto; contain-intrinsic-size: auto 1.6em; }
        .listing tr[hidden] { display: none; }
        th, td { flex: none; box-sizing: border-box; padding: 0.15em 0.6em; text-align: left; white-space: nowrap;
                 overflow: hidden; text-overflow: ellipsis; border-bottom: 1px solid #e5e7eb; font-variant-numeric: tabular-nums; }
        th { background: #f3f4f6; border-bottom: 1px solid #9ca3af; }
        .js th { cursor: pointer; user-select: none; }
        th[aria-sort=ascending]::after { content: " \25B2"; }
        th[aria-sort=descending]::after { content: " \25BC"; }
        tr.unreachable td { color: #9ca3af; }
        tr.unreachable td:nth-child(2), tr.unreachable td:nth-child(17) { color: #b91c1c; }
        tr.cordoned td:nth-child(2) { font-style: italic; }
        tr.drifted td { background: #fef3c7; }
        tr.drifted td:nth-child(6) { color: #b45309; font-weight: 600; }

        """#

    /// Sorting and filtering. Rows are read once; a sort moves the row
    /// elements, a filter sets their `hidden`, so 5,000 rows take milliseconds.
    static let script = #"""

        (() => {
          "use strict";
          document.documentElement.classList.add("js");
          const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
          const units = { "": 1, K: 1024, M: 1048576, G: 1073741824, T: 1099511627776, P: 1125899906842624 };
          const seconds = { d: 86400, h: 3600, m: 60, s: 1 };
          // The cells hold figures as the terminal table prints them; these read them back. null: unknown.
          const keyOf = {
            s: (t) => (t === "-" || t === "" ? null : t),
            n: (t) => { const v = parseFloat(t); return Number.isNaN(v) ? null : v; },
            b: (t) => { const m = /^(\d+(?:\.\d+)?)([KMGTP]?)/.exec(t); return m ? parseFloat(m[1]) * units[m[2]] : null; },
            d: (t) => {
              let total = null;
              for (const m of t.matchAll(/(\d+)([dhms])/g)) total = (total || 0) + Number(m[1]) * seconds[m[2]];
              return total;
            },
          };
          for (const section of document.querySelectorAll("section.listing")) {
            const table = section.querySelector("table");
            const body = table.tBodies[0];
            const filterBox = section.querySelector("input[type=search]");
            const only = section.querySelector("input[type=checkbox]");
            const count = section.querySelector(".count");
            const headers = Array.from(table.tHead.rows[0].cells);
            let rows = Array.from(body.rows).filter((r) => !r.classList.contains("none"));
            let texts = null;
            headers.forEach((th, column) => {
              th.tabIndex = 0;
              const sort = () => {
                const ascending = th.getAttribute("aria-sort") !== "ascending";
                for (const h of headers) h.removeAttribute("aria-sort");
                th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
                const type = th.dataset.t || "s";
                const keyed = rows.map((row, index) => ({ row, index, key: keyOf[type](row.cells[column].textContent) }));
                keyed.sort((a, b) => {
                  if (a.key === null || b.key === null) return a.key === b.key ? a.index - b.index : (a.key === null ? 1 : -1);
                  const order = type === "s" ? collator.compare(a.key, b.key) : a.key - b.key;
                  return (ascending ? order : -order) || a.index - b.index;
                });
                rows = keyed.map((k) => k.row);
                const moved = document.createDocumentFragment();
                for (const row of rows) moved.appendChild(row);
                body.appendChild(moved);
              };
              th.addEventListener("click", sort);
              th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
            });
            // Every word must appear in the row (any column); the box "only" keeps rows of its class.
            const filter = () => {
              const words = filterBox.value.toLowerCase().split(/\s+/).filter(Boolean);
              const className = only.checked ? only.value : null;
              if (!texts) texts = new Map(rows.map((r) => [r, Array.from(r.cells, (c) => c.textContent).join("\t").toLowerCase()]));
              let shown = 0;
              for (const row of rows) {
                const text = texts.get(row);
                const show = (!className || row.classList.contains(className)) && words.every((w) => text.includes(w));
                row.hidden = !show;
                if (show) shown++;
              }
              count.textContent = shown === rows.length ? String(rows.length) : shown + " of " + rows.length;
            };
            filterBox.addEventListener("input", filter);
            only.addEventListener("change", filter);
          }
          for (const link of document.querySelectorAll("[data-show]")) {
            link.addEventListener("click", (e) => {
              e.preventDefault();
              const box = document.getElementById(link.dataset.show);
              box.checked = true;
              box.dispatchEvent(new Event("change"));
              box.closest("section").scrollIntoView();
            });
          }
        })();

        """#
}
