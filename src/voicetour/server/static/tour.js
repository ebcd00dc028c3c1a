// The tour page: microphone -> WebSocket -> events -> the product frame, captions and voice.
// Messages are described in docs/protocol.md. Text from the server is only ever set with
// textContent, never as HTML.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const stage = $("stage");
  const OWN = new URL(".", location.href).pathname;  // voicetour's own routes: "/voicetour/"
  let root = "/";              // where the product's page urls are on this origin (the site summary says)
  let product = "";            // the proxied product's own origin, if any (ditto)
  let ws = null;
  let current = null;          // product URL (site-relative) shown in the frame
  let pendingHighlight = null; // selector to apply once the frame has loaded
  let audioCtx = null;
  let lastAction = null;       // {turn, url, t}: the navigation the next "visible" report is about
  const turnViews = new Map(); // turn id -> element in the debug panel
  const log = (window.voicetourLog = []);  // every server message, for tests and debugging
  const shown = (window.voicetourVisible = []);  // every "visible" report sent, likewise

  function setState(s) { const el = $("state"); el.textContent = s; el.className = "state " + s; }
  function notice(text) { const n = $("notice"); n.textContent = text; n.hidden = !text; }
  // The product is at the root of this origin, as on its own (docs/architecture.md, "The product
  // at the root"): a page url "/team.html" is the frame path root + "team.html".
  function toFrameUrl(url) { return /^https?:/.test(url) ? url : root + url.slice(1); }
  function toSiteUrl(path) {
    return path.startsWith(root) && !path.startsWith(OWN) ? "/" + path.slice(root.length) : null;
  }

  // The visible product frame and its pre-rendered spares (frames.js).
  const frames = window.VoicetourFrames(stage, toFrameUrl, toSiteUrl, (url, prerendered, ready) => {
    applyHighlight();
    reportVisible(prerendered, ready);
  }, (path) => {
    const url = toSiteUrl(path);
    if (url !== null && url !== current) { current = url; send({ type: "page", url }); }  // the user clicked around
  }, () => product);
  const frame = () => frames.visible();

  function show(url) {
    current = url;
    frames.show(url);
  }

  // Called when the frame shows the page: after the next frame is painted, tell the server (it
  // closes the turn's trace with a "visible" span and the voice_to_visible metric).
  function reportVisible(prerendered, ready) {
    const action = lastAction;
    requestAnimationFrame(() => {
      const msg = { type: "visible", url: current || "", t: performance.now(), prerendered: !!prerendered,
                    ready: ready !== false };
      if (action) {
        msg.turn = action.turn;
        msg.delay_ms = Math.round((performance.now() - action.t) * 10) / 10;
        lastAction = null;
        addMetric(action.turn, "browser: action → visible", msg.delay_ms);
      }
      shown.push(msg);
      send(msg);
    });
  }

  // ---- debug panel: one waterfall per turn, from the server's "trace" messages ----
  function turnView(turn) {
    let view = turnViews.get(turn);
    if (!view) {
      view = document.createElement("div");
      view.className = "turn";
      const title = document.createElement("div");
      title.className = "turn-title";
      title.textContent = "turn " + turn;
      const rows = document.createElement("div");
      rows.className = "turn-rows";
      const metrics = document.createElement("div");
      metrics.className = "turn-metrics";
      view.append(title, rows, metrics);
      $("turns").prepend(view);
      turnViews.set(turn, view);
      while (turnViews.size > 30) { const [k, v] = turnViews.entries().next().value; v.remove(); turnViews.delete(k); }
    }
    return view;
  }

  function drawTrace(msg) {
    const rows = turnView(msg.turn).querySelector(".turn-rows");
    rows.textContent = "";
    const end = Math.max(1, ...msg.spans.map((s) => s.end_ms));
    for (const s of msg.spans) {
      const row = document.createElement("div");
      row.className = "row";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = s.name;
      name.title = s.detail || s.name;
      const track = document.createElement("span");
      track.className = "track";
      const bar = document.createElement("span");
      bar.className = "bar " + s.lane;
      bar.style.left = (100 * s.start_ms / end) + "%";
      bar.style.width = (100 * Math.max(0, s.end_ms - s.start_ms) / end) + "%";
      bar.title = s.detail || "";
      track.append(bar);
      const ms = document.createElement("span");
      ms.className = "ms";
      ms.textContent = s.start_ms.toFixed(0) + (s.end_ms > s.start_ms ? "–" + s.end_ms.toFixed(0) : "");
      row.append(name, track, ms);
      rows.append(row);
    }
  }

  function addMetric(turn, name, value) {
    const line = document.createElement("div");
    line.textContent = name + ": " + (Math.round(value * 10) / 10) + " ms";
    turnView(turn).querySelector(".turn-metrics").append(line);
  }

  $("debug-toggle").addEventListener("click", () => {
    const panel = $("debug");
    panel.hidden = !panel.hidden;
    $("debug-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  });
  if (new URLSearchParams(location.search).has("debug")) $("debug").hidden = false;


  function applyHighlight() {
    if (!pendingHighlight) return;
    let doc;
    try { doc = frame().contentDocument; } catch (e) { return; }
    if (!doc) return;
    const el = doc.querySelector(pendingHighlight);
    if (!el) return;
    if (!doc.getElementById("voicetour-style")) {
      const st = doc.createElement("style");
      st.id = "voicetour-style";
      st.textContent = ".voicetour-highlight{outline:4px solid #f59f00!important;outline-offset:3px;" +
        "box-shadow:0 0 0 9999px rgba(15,21,37,.25);border-radius:6px;transition:outline-color .3s}";
      doc.head.appendChild(st);
    }
    doc.querySelectorAll(".voicetour-highlight").forEach((e) => e.classList.remove("voicetour-highlight"));
    el.classList.add("voicetour-highlight");
    el.scrollIntoView({ block: "center" });
    pendingHighlight = null;
  }

  // The reply is spoken by the platform's voice, which no browser echo canceller hears (and
  // echo cancellation hurt recognition: docs/architecture.md, Capture), so the microphone is
  // paused while the reply plays: the agent must not hear itself. A voice that never reports its
  // end is cut short after a generous estimate.
  let speaking = false, speakingTimer = 0;
  function say(text) {
    $("reply").textContent = text;
    if (!("speechSynthesis" in window)) return;
    speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(text);
    const done = () => { if (!speaking) return; speaking = false; clearTimeout(speakingTimer); setState("listening"); };
    u.onstart = () => {
      speaking = true;
      setState("speaking");
      speakingTimer = setTimeout(done, 1500 + 100 * text.length);
    };
    u.onend = u.onerror = done;
    speechSynthesis.speak(u);
  }

  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }

  // A typed request goes over the conversation's socket; with no conversation (the tour is busy,
  // or the socket is down) it is asked on its own (POST ask), so that nothing typed is lost.
  let busy = false;
  function ask(text) {
    if (ws && ws.readyState === 1 && !busy) { send({ type: "text", text }); return; }
    fetch(OWN + "ask", { method: "POST", headers: { "Content-Type": "application/json" },
                         body: JSON.stringify({ type: "text", text, url: current || "" }) })
      .then((r) => r.json())
      .then((body) => { if (body.messages) body.messages.forEach(onMessage); else notice("Server: " + body.message); })
      .catch(() => notice("The server could not be reached. Your request, “" + text + "”, was not sent: try again in a moment."));
  }

  function onMessage(msg) {
    log.push(msg);
    switch (msg.type) {
      case "ready":
        if (resumeToken && !msg.resumed) notice("The connection was lost and this is a new conversation: say or type your request again.");
        resumeToken = msg.resume || "";
        if (busy) { busy = false; notice(""); }
        setState(audioCtx ? "listening" : "idle");
        if (msg.session) $("trace-link").href = OWN + "trace/" + encodeURIComponent(msg.session);
        break;
      case "state": if (!speaking) setState(msg.state); break;
      case "speech_start": $("partial").textContent = "…"; break;
      case "partial": $("partial").textContent = msg.text; break;
      case "final": $("final").textContent = msg.text ? "“" + msg.text + "”" : ""; $("partial").textContent = ""; break;
      case "navigate": pendingHighlight = null; lastAction = { turn: msg.turn, url: msg.url, t: performance.now() }; show(msg.url); break;
      case "highlight": pendingHighlight = msg.selector; applyHighlight(); break;
      case "cancel": pendingHighlight = null; lastAction = { turn: msg.turn, url: msg.url, t: performance.now() }; show(msg.url); break;
      case "back": lastAction = { turn: msg.turn, url: msg.url, t: performance.now() }; show(msg.url); break;
      case "scroll":
        try { frame().contentWindow.scrollBy({ top: (msg.direction === "up" ? -1 : 1) * frame().clientHeight * 0.8, behavior: "smooth" }); } catch (e) { /* cross-origin */ }
        break;
      case "stop": if ("speechSynthesis" in window) speechSynthesis.cancel(); break;
      case "say": say(msg.text); break;
      case "rejected": break;
      case "error":
        if (msg.code === "busy") { busy = true; notice(msg.message + " Meanwhile, type your request below."); }
        else notice("Server: " + msg.message);
        break;
      case "trace": drawTrace(msg); break;
      case "prerender": frames.prerender(msg.urls); break;
      case "metric":
        if (msg.name === "cpu") addMetric(msg.turn, "cpu" + (msg.labels && msg.labels.stage ? ": " + msg.labels.stage : " (all)"), msg.value_ms);
        else if (msg.name !== "busy") addMetric(msg.turn, msg.name, msg.value_ms);
        break;
    }
  }

  let resumeToken = "";  // a socket that drops (a network blip, a server process restarted) resumes the conversation

  function connect() {
    // The resume token goes as a subprotocol (a header), never in the URL.
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + OWN + "ws",
                       resumeToken ? ["voicetour", "resume." + resumeToken] : ["voicetour"]);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => send({ type: "hello", url: current || "" });
    ws.onmessage = (e) => { if (typeof e.data === "string") onMessage(JSON.parse(e.data)); };
    ws.onclose = () => {
      setState("error");
      $("state").textContent = busy ? "busy" : "disconnected";
      setTimeout(connect, busy ? 5000 : 1500);
    };
  }

  async function startMic() {
    if (audioCtx) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      notice("This browser gives no microphone here (it needs https or localhost). Type your request below.");
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      audioCtx = new AudioContext();
      await audioCtx.audioWorklet.addModule(OWN + "static/capture-worklet.js");
      const src = audioCtx.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(audioCtx, "capture-processor");
      node.port.onmessage = (e) => {
        // Benchmarks set window.voicetourCapture to align the audio with the page clock
        // (docs/measuring.md): each 20 ms frame with the page time it reached the page.
        if (window.voicetourCapture) window.voicetourCapture.push([performance.now(), Array.from(new Int16Array(e.data))]);
        if (ws && ws.readyState === 1 && !speaking) ws.send(e.data);
      };
      src.connect(node);
      if (audioCtx.state === "suspended") await audioCtx.resume();
      $("mic").textContent = "Microphone on";
      $("mic").disabled = true;
      notice("");
      setState("listening");
    } catch (err) {
      audioCtx = null;
      const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      notice((denied ? "Microphone permission was denied" : "No microphone could be opened (" + (err && err.name) + ")") +
        ". Type your request in the box below instead.");
      $("ask-text").focus();
    }
  }

  $("mic").addEventListener("click", startMic);
  $("ask").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("ask-text").value.trim();
    if (!text) return;
    ask(text);
    $("ask-text").value = "";
  });

  // The service worker that answers the product's absolute URLs from this origin (product-worker.js),
  // active before the first frame loads; without one (no proxied product, a browser or an address
  // that does not allow it) the tour goes on as before.
  async function keepProductHere() {
    if (!product || !("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(OWN + "product-worker.js?product=" + encodeURIComponent(product),
                                             { scope: "/" });
      await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 3000))]);
    } catch (e) {
      console.warn("voicetour: the product's absolute URLs load from its own origin:", e);
    }
  }

  fetch(OWN + "site").then((r) => r.json()).then(async (site) => {
    root = site.root || "/";
    product = site.product || "";
    await keepProductHere();
    $("site-name").textContent = site.name;
    $("examples").textContent = site.examples.length ? "Try: “" + site.examples.slice(0, 3).join("”, “") + "”" : "";
    // ?page=/billing.html opens the tour on that page (a deep link); else on the first page.
    const asked = new URLSearchParams(location.search).get("page");
    const start = site.pages.find((p) => p.url === asked) || site.pages[0];
    if (start) show(start.url);
    connect();
    startMic();
  });
})();
