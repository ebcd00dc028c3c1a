// The product frames of the tour page: one visible (id "product") and up to MAX_SPARES hidden,
// pre-rendered spares of the pages the server predicts ("prerender" messages). On a navigation,
// a spare is revealed by swapping visibility (no reload; if it is still loading, it finishes in
// view, which is still sooner than starting over); any other page is loaded in the visible frame. Spares are least-recently-used, at most MAX_LOADING load at once, and a spare
// older than STALE_MS is reloaded before it is trusted again.
(() => {
  "use strict";
  const MAX_SPARES = 5;
  const MAX_LOADING = 2;
  const STALE_MS = 120000;

  // ``productOrigin()``: the proxied product's own origin ("" if none); a link to it inside a
  // frame is followed on this origin, where the product is (docs/protocol.md).
  window.VoicetourFrames = function (stage, toFrameUrl, toSiteUrl, onShown, onUserNavigated, productOrigin) {
    const spares = new Map();  // site url -> {frame, loaded, loadedAt, usedAt}
    const waiting = [];        // site urls waiting for a free loading slot
    let loading = 0;
    let visibleUrl = null;     // site url the visible frame was asked to show
    let pendingShow = null;    // site url whose load we wait for before reporting it shown
    let pendingSpare = false;  // ... and whether that frame was a revealed (still loading) spare

    const visible = () => document.getElementById("product");

    function pathOf(frame) {
      try { return frame.contentWindow.location.pathname + frame.contentWindow.location.search; } catch (e) { return null; }
    }
    function isBlank(frame) {
      try { return frame.contentWindow.location.href === "about:blank"; } catch (e) { return false; }
    }
    function sameTarget(frame, url) {
      const want = new URL(toFrameUrl(url), location.href);
      return pathOf(frame) === want.pathname + want.search;
    }

    function makeSpare(url) {
      const frame = document.createElement("iframe");
      frame.className = "spare";
      frame.title = "pre-rendered page";
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      const entry = { frame, loaded: false, loadedAt: 0, usedAt: performance.now() };
      frame.addEventListener("load", () => onLoad(frame));
      spares.set(url, entry);
      loading += 1;
      // The address before the frame joins the page: a frame inserted without one fires a "load"
      // for its empty document at once, which marked the spare loaded while its page was not.
      frame.src = toFrameUrl(url);
      stage.appendChild(frame);
      return entry;
    }

    function drop(url) {
      const entry = spares.get(url);
      if (!entry) return;
      if (!entry.loaded) loading = Math.max(0, loading - 1);
      entry.frame.remove();
      spares.delete(url);
    }

    // A link to the product's own origin, written in full, would take the frame off this
    // origin (no highlight, no pre-rendered swap): it is followed here, path for path.
    function keepLinksHere(frame) {
      const origin = productOrigin ? productOrigin() : "";
      let doc = null;
      try { doc = frame.contentDocument; } catch (e) { return; }
      if (!origin || !doc || doc.voicetourLinks) return;
      doc.voicetourLinks = true;
      doc.addEventListener("click", (e) => {
        const a = e.target && e.target.closest ? e.target.closest("a[href]") : null;  // (the frame's Element, not ours)
        if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        if ((a.target && a.target !== "_self") || a.hasAttribute("download")) return;
        const url = new URL(a.href, doc.baseURI);
        if (url.origin !== origin) return;
        e.preventDefault();
        frame.contentWindow.location.assign(url.pathname + url.search + url.hash);
      });
    }

    function onLoad(frame) {
      keepLinksHere(frame);
      if (frame === visible()) {
        const path = pathOf(frame);
        if (pendingShow !== null) {
          const url = pendingShow;
          pendingShow = null;
          onShown(url, pendingSpare, false);
        } else if (path) {
          onUserNavigated(path);  // the user clicked around inside the product
        }
        return;
      }
      if (isBlank(frame)) return;  // an empty document, not the page it was asked for
      for (const [url, entry] of spares) {
        if (entry.frame === frame && !entry.loaded) {
          entry.loaded = true;
          entry.loadedAt = performance.now();
          loading = Math.max(0, loading - 1);
          pump();
          break;
        }
      }
    }

    function pump() {
      while (loading < MAX_LOADING && waiting.length) {
        const url = waiting.shift();
        if (!spares.has(url) && url !== visibleUrl) makeSpare(url);
      }
    }

    function prerender(urls) {
      const wanted = new Set(urls.filter((u) => u && u !== visibleUrl).slice(0, MAX_SPARES));
      const now = performance.now();
      for (const [url, entry] of spares) {  // stale pages are reloaded before they are trusted
        if (entry.loaded && now - entry.loadedAt > STALE_MS) drop(url);
      }
      for (const url of wanted) {
        const entry = spares.get(url);
        if (entry) { entry.usedAt = now; continue; }
        while (spares.size >= MAX_SPARES) {  // evict: not wanted first, then least recently used
          const victims = [...spares.entries()].sort((a, b) =>
            (wanted.has(a[0]) - wanted.has(b[0])) || (a[1].usedAt - b[1].usedAt));
          drop(victims[0][0]);
        }
        if (loading < MAX_LOADING) makeSpare(url);
        else if (!waiting.includes(url)) waiting.push(url);
      }
      waiting.splice(0, waiting.length, ...waiting.filter((u) => wanted.has(u)));
    }

    // Show ``url``; returns true if it was revealed from a pre-rendered spare. ``onShown(url,
    // prerendered, ready)`` follows once it is on screen (ready: the spare had finished loading).
    function show(url) {
      const current = visible();
      visibleUrl = url;
      pendingSpare = false;
      if (!url) { pendingShow = null; current.src = "about:blank"; return false; }
      if (sameTarget(current, url)) { pendingShow = null; onShown(url, false, true); return false; }
      const entry = spares.get(url);
      if (entry && (!entry.loaded || sameTarget(entry.frame, url))) {
        spares.delete(url);
        if (!entry.loaded) { loading = Math.max(0, loading - 1); pump(); }
        // Swap: the spare becomes the visible frame; the old visible frame becomes a spare of
        // the page it shows (useful for "go back"), or goes away.
        const oldPath = pathOf(current);
        current.removeAttribute("id");
        current.className = "spare";
        current.setAttribute("aria-hidden", "true");
        current.tabIndex = -1;
        entry.frame.id = "product";
        entry.frame.className = "live";
        entry.frame.title = "product";
        entry.frame.removeAttribute("aria-hidden");
        entry.frame.tabIndex = 0;
        const back = oldPath && toSiteUrl(oldPath);
        if (back && !spares.has(back) && spares.size < MAX_SPARES) {
          spares.set(back, { frame: current, loaded: true, loadedAt: performance.now(), usedAt: performance.now() });
        } else {
          current.remove();
        }
        if (entry.loaded) {
          pendingShow = null;
          onShown(url, true, true);
        } else {
          pendingShow = url;  // reported when it finishes loading, in view
          pendingSpare = true;
        }
        return true;
      }
      if (entry) drop(url);  // a spare of another address (the page redirected): load normally
      pendingShow = url;
      current.src = toFrameUrl(url);
      return false;
    }

    const first = visible();
    first.addEventListener("load", () => onLoad(first));
    return { show, prerender, visible, spares: () => [...spares.keys()] };
  };
})();
