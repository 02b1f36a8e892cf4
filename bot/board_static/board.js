// The status board in a browser (the page is bot/board_html.py's): it refreshes in place, filters
// as one types and keeps every age fresh. Without this script the page still works: the filter is
// a GET form and a <noscript> refresh reloads the page.
//
// A refresh fetches the page's own address (its query, token included) and swaps in the <main>
// of the answer, parsed by DOMParser: the server's own escaped HTML, never a string of ours. The
// header, with the filter box, is never replaced, so focus and typing survive a refresh.
"use strict";

(() => {
  const REFRESH_MS = 15000;
  const TYPING_PAUSE_MS = 300;

  const box = document.getElementById("q");
  const form = box && box.form;
  const offline = document.getElementById("offline");
  let skewMs = 0; // the server's clock minus ours, so ages agree with the server's
  let failingSince = null;
  let timer = 0;
  let running = null; // the AbortController of the refresh in flight

  const board = () => document.getElementById("board");

  // As the server normalises ?q=: spaces collapsed, trimmed, lower case.
  const needle = () => (box ? box.value.replace(/\s+/g, " ").trim().toLowerCase() : "");

  // The same words as bot/board_html.py's age().
  function age(seconds) {
    const span = Math.abs(seconds);
    if (span < 60) return "just now";
    let amount;
    if (span < 3600) amount = `${Math.floor(span / 60)} min`;
    else if (span < 48 * 3600) amount = `${Math.floor(span / 3600)} h`;
    else amount = `${Math.floor(span / 86400)} d`;
    return seconds > 0 ? `${amount} ago` : `in ${amount}`;
  }

  function freshenAges() {
    const now = Date.now() + skewMs;
    for (const time of board().querySelectorAll("time[datetime]")) {
      const at = Date.parse(time.dateTime);
      if (Number.isNaN(at)) continue;
      time.textContent = age((now - at) / 1000);
      if (!time.title) time.title = new Date(at).toLocaleString();
    }
  }

  function noteSkew() {
    const generated = Date.parse(board().dataset.generated);
    if (!Number.isNaN(generated)) skewMs = generated - Date.now();
  }

  function applyFilter() {
    const main = board();
    const q = needle();
    let shown = 0;
    for (const item of main.querySelectorAll("[data-f]")) {
      const match = !q || item.dataset.f.includes(q);
      item.hidden = !match;
      if (match && item.classList.contains("p")) shown += 1;
    }
    const nomatch = main.querySelector("#nomatch");
    if (nomatch) nomatch.hidden = !q || shown > 0;
    const count = main.querySelector("#shown");
    if (count) {
      const total = Number(count.dataset.total);
      const all = `${total.toLocaleString("en-US")} ${total === 1 ? "provider" : "providers"}`;
      count.textContent = q ? `${shown.toLocaleString("en-US")} of ${all} match “${q}”` : all;
    }
  }

  // The filter in the address, so a reload or a shared link shows what is shown now.
  function keepQueryInAddress() {
    const url = new URL(window.location.href);
    const q = box.value.trim();
    if (q) url.searchParams.set("q", q);
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
  }

  // The server filtered the page by the query it was asked: a query that is not narrower needs the
  // providers it left out. On a crowded board (some providers were tiles for want of room) any new
  // query may bring back cards. Either way it asks once typing pauses.
  function filterChanged() {
    applyFilter();
    keepQueryInAddress();
    const main = board();
    if (!needle().includes(main.dataset.q || "") || "crowded" in main.dataset) {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, TYPING_PAUSE_MS);
    }
  }

  function showOffline() {
    if (failingSince === null) failingSince = new Date();
    offline.textContent = `Offline since ${failingSince.toLocaleTimeString()}: showing the board as it was then.`;
    offline.hidden = false;
  }

  async function refresh() {
    window.clearTimeout(timer);
    if (running) running.abort();
    const mine = new AbortController();
    running = mine;
    try {
      const response = await fetch(window.location.href, {
        cache: "no-store",
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: mine.signal,
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const next = doc.getElementById("board");
      if (!next) throw new Error("the answer holds no board");
      board().replaceWith(document.adoptNode(next));
      document.title = doc.title;
      noteSkew();
      applyFilter();
      failingSince = null;
      offline.hidden = true;
    } catch (error) {
      if (mine.signal.aborted) return; // a newer refresh took over
      showOffline();
    } finally {
      if (running === mine) {
        running = null;
        freshenAges();
        timer = window.setTimeout(refresh, REFRESH_MS);
      }
    }
  }

  if (box) {
    box.addEventListener("input", filterChanged);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      filterChanged();
    });
  }
  noteSkew();
  applyFilter();
  freshenAges();
  timer = window.setTimeout(refresh, REFRESH_MS);
})();
