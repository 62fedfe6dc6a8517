// Appended (in a <script> element) to a copy of a Snakemake report by tests/test_workflow.py:
// once the page has loaded, it goes through the report as a reader clicks it, with the report
// app's own calls (app.setView, app.showResultInfo) and data (categories, results): every
// category and subcategory menu, every result's view (an image or an HTML page in a frame) and
// its caption; on a table page it clicks the first column's header, which sorts the table by it,
// and records that column's cells as they then stand (``sorted``). What it saw goes, as JSON
// with one entry per result, into a hidden PRE element
// with the id "walk", for `chromium --dump-dom`; it ends on the first image, for
// `chromium --screenshot`.
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function shown(view, entry, extra) {
    for (let tries = 0; tries < 50; tries++) {
        await pause(100);
        if (view === "img") {
            const image = document.querySelector(`img[src='${entry.data_uri}']`);
            if (image && image.complete && image.naturalWidth > 0) {
                return `${image.naturalWidth}x${image.naturalHeight}`;
            }
        } else {
            const frame = document.querySelector("iframe");
            const page = frame && frame.contentDocument;
            if (page && page.readyState === "complete" && page.body && page.body.children.length) {
                const header = page.querySelector("thead tr.names th");
                if (header) {
                    header.click();
                    const rows = Array.from(page.querySelectorAll("tbody tr")).slice(0, 200);
                    extra.sorted = rows.map((row) => row.cells[0].textContent);
                }
                return `tables=${page.querySelectorAll("table").length} images=${page.images.length}`;
            }
        }
    }
    return "nothing shown";
}

async function walk() {
    // the report's app is set up after the page's load event on a large report: wait for it
    for (let tries = 0; tries < 300 && typeof app === "undefined"; tries++) {
        await pause(100);
    }
    const seen = [];
    const out = document.createElement("pre");
    out.id = "walk";
    out.style.display = "none";
    document.body.appendChild(out);
    let firstImage;
    for (const [category, subcategories] of Object.entries(categories)) {
        for (const [subcategory, paths] of Object.entries(subcategories)) {
            app.setView({ navbarMode: "subcategory", category: category, subcategory: subcategory });
            await pause(200);
            const menu = document.body.innerText;
            for (const path of paths) {
                const entry = results[path];
                const mime = getResultMimeType(path);
                const view = mime.startsWith("image/") ? "img" : mime === "text/html" ? "html" : "download";
                let content = "offered as a download only";
                const extra = {};
                if (view !== "download") {
                    app.setView({ content: view, contentPath: entry.data_uri, resultPath: path });
                    content = await shown(view, entry, extra);
                    if (view === "img" && firstImage === undefined) {
                        firstImage = { content: view, contentPath: entry.data_uri, resultPath: path };
                    }
                }
                app.showResultInfo(path);
                await pause(200);
                const info = document.body.innerText;
                seen.push({ path, category, subcategory, menu, view, content, sorted: extra.sorted, info });
                out.textContent = JSON.stringify(seen);
            }
        }
    }
    if (firstImage !== undefined) {
        app.setView({ navbarMode: "menu", ...firstImage });
        await pause(500);
    }
}

window.addEventListener("load", () =>
    walk().catch((error) => {
        // a failure shows in the dumped page instead of leaving the walk empty
        const out = document.getElementById("walk") || document.body.appendChild(document.createElement("pre"));
        out.id = "walk";
        out.textContent = JSON.stringify([{ error: String(error), stack: String(error.stack) }]);
    }),
);
