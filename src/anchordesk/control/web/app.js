// The web remote: reads /api/v1/state and the /api/v1/events stream, sends /api/v1/commands.
// Every text that comes from the show or its audience is set with textContent, never as HTML.
"use strict";
(() => {
  const TEXTS = window.ANCHORDESK_TEXT;
  const browserLanguage = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  const LANG = /^zh/i.test(browserLanguage) ? "zh_CN" : /^ja/i.test(browserLanguage) ? "ja" : "en";
  document.documentElement.lang = { zh_CN: "zh-CN", ja: "ja", en: "en" }[LANG];
  // Sent with every call: the server says a refused command's reason in the page's language
  // (the API's "message"), from the window's own translations.
  const asked = () => ({ Authorization: `Bearer ${token}`, "Accept-Language": document.documentElement.lang });
  const t = (key, ...values) =>
    (TEXTS[LANG][key] || TEXTS.en[key] || key).replace(/\{(\d)\}/g, (_, i) => String(values[i]));
  // A count's words in the plural the language's rules give the count (CLDR, as the report
  // and the terminal say them): "1 unit", "3 units"; Chinese and Japanese have one form.
  // The page said "1 units" and "1 items".
  const plural = new Intl.PluralRules(document.documentElement.lang);
  const tn = (key, n, ...values) =>
    t(plural.select(Number(n)) === "one" && TEXTS[LANG][`${key}_one`] ? `${key}_one` : key, ...values);
  // A state word the server sends (an output's, a feed's), in the page's language; one this
  // page does not know yet is shown as sent.
  const stateWord = (kind, value) => TEXTS[LANG][`${kind}_${value}`] || String(value);
  // Text from the show or the audience inside a line of ours, isolated (FSI ... PDI): a
  // right-to-left override it leaves open must not turn the rest of the line around (a deal's
  // "$18.00 · 1:24 left" read "00.81$ · tfel 42:1").
  const isolate = (text) => `\u2068${text}\u2069`;
  const $ = (id) => document.getElementById(id);
  // A count as the window, its data board and the report write it: grouped in the page's
  // language (2,500,000, not 2500000).
  const count = (n) => Number(n).toLocaleString(document.documentElement.lang);
  const make = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  // The token arrives once in the address (?token=, the QR code); it is kept for this tab only
  // and taken out of the address bar, so it is neither shared by a copied link nor in history.
  const params = new URLSearchParams(location.search);
  if (params.get("token")) {
    sessionStorage.setItem("anchordesk-token", params.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  let token = sessionStorage.getItem("anchordesk-token") || "";
  // A token is printable ASCII, and a header carries nothing else. A phone's Chinese or
  // Japanese keyboard in full-width mode types "ｒ１０ｃｔｌ…" (and may add "。"): the fetch
  // could not even be made, and the page said "AnchorDesk cannot be reached" every two seconds
  // to an operator whose token was right. Full-width letters are read as the ones they stand
  // for; a token with anything else is a wrong one, said so, and never sent.
  const typedToken = (text) => text.normalize("NFKC").trim();
  const sendable = (text) => /^[\x20-\x7e]+$/.test(text);

  // Until when (performance.now()) the server refuses this address after too many wrong
  // tokens: the page says so and asks nothing until then.
  let lockedUntil = 0;
  let lockTimer = null;
  let state = null;
  let stateAt = 0;
  // This page's clock (performance.now()) less the server's (clocks_at_s), the least seen on
  // this connection: the message held least by the network. A state's clocks are counted on
  // from when the server read them, not from when the message came: one held by the network
  // (a phone's Wi-Fi retransmitting) left the segment's time and the deals' countdowns behind.
  let serverOffset = null;
  function heard(message) {
    if (typeof message.clocks_at_s !== "number") return;
    const offset = performance.now() - message.clocks_at_s * 1000;
    if (serverOffset === null || offset < serverOffset) serverOffset = offset;
  }
  // The state as the event stream has it (its version): the stream sends it whole once, then
  // only what changed (a show at the limits is 4 MB a state, a change a few rows).
  let held = null;
  let sessionId = null;
  const questions = new Map();

  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = t("title");

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
    if (message) setTimeout(() => { if (box.textContent === message) box.hidden = true; }, 6000);
  }

  const locked = () => performance.now() < lockedUntil;

  // A 429 that says "locked_out_s": too many wrong tokens came from this address (this phone,
  // or another device behind the same router). Say why and when, count down, then start again.
  function lockOut(seconds) {
    lockedUntil = performance.now() + seconds * 1000;
    if (lockTimer) clearInterval(lockTimer);
    const box = $("error");
    const say = () => {
      const left = Math.ceil((lockedUntil - performance.now()) / 1000);
      if (left > 0) {
        box.textContent = t("locked_out", left);
        box.hidden = false;
        return;
      }
      clearInterval(lockTimer);
      lockTimer = null;
      box.hidden = true;
      if (socket && socket.readyState === WebSocket.OPEN) {  // the stream stayed open meanwhile
        $("connection").textContent = t("connected");
        $("connection").className = "badge on";
      } else if (!socket || socket.readyState === WebSocket.CLOSED) {
        start();
      }
    };
    $("connection").textContent = t("locked");
    $("connection").className = "badge off";
    say();
    lockTimer = setInterval(say, 1000);
  }

  async function lockedOutBy(response) {
    if (response.status !== 429) return false;
    const answer = await response.clone().json().catch(() => ({}));
    const seconds = Number(answer.locked_out_s);
    if (!(seconds > 0)) return false;
    lockOut(seconds);
    return true;
  }

  // Money as the window writes it in this page's language: the server sends each amount
  // written out by the one formatter the window, the picture and the report use (the
  // browser's Intl wrote "$19.80" on a Japanese page where the window wrote "US$19.80").
  const money = (written, amount, currency) => written || `${amount} ${currency}`;
  // An amount never parted across two lines ("KWD 123,456.789"): the GMV wraps between amounts.
  const unbroken = (text) => text.replaceAll(" ", "\u00a0");

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  // A deal's time left as the picture's countdown reads it past an hour ("23:59:01"), as
  // clock() under it: a day's deal read "1439:21" here beside the picture's 23:59:01.
  function countdown(seconds) {
    const s = Math.max(0, Math.ceil(seconds - 1e-9));
    if (s < 3600) return clock(s);
    const two = (n) => String(n).padStart(2, "0");
    return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  }

  async function command(name, args = {}) {
    try {
      if (locked()) return;
      // The answer carries no state (return=minimal): the event stream brings the change.
      const response = await fetch("/api/v1/commands", {
        method: "POST",
        headers: { ...asked(), "Content-Type": "application/json", Prefer: "return=minimal" },
        // The session this page shows: a tap meant for the rehearsal, sent as the show went
        // live, is refused rather than applied to the live session.
        body: JSON.stringify({ command: name, ...args, ...(sessionId ? { session: sessionId } : {}) }),
      });
      if (await lockedOutBy(response)) return;
      const answer = await response.json();
      if (response.status === 401) return askToken(t("unauthorized"));
      if (!answer.ok) return showError(t("refused", answer.message || answer.error));
    } catch (error) {
      showError(t("unreachable"));
    }
  }

  function button(text, onClick, className) {
    const node = make("button", text, className);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  // A list kept row by row: a row is made again only when what it shows changed (its
  // signature), and put in its place only when it is not there. A show at the limits has
  // 10,000 products and 20,000 segments: making every row at every state took the phone's
  // page a second or more for each, and taps waited behind it.
  // A row's figures that move by themselves (a product's stock at each order) are its detail,
  // written into the row in place: a row made again under a finger lost the tap (a deal's Stop
  // pressed as an order came in did nothing).
  const keptRows = new Map();  // list -> Map(key -> {signature, node, detail})
  function keep(list, items, keyOf, signatureOf, makeRow, detailOf, showDetail) {
    let rows = keptRows.get(list);
    if (!rows) keptRows.set(list, rows = new Map());
    const seen = new Set();
    let at = list.firstElementChild;
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const signature = signatureOf(item);
      let row = rows.get(key);
      if (!row || row.signature !== signature) {
        const node = makeRow(item);
        if (row && row.node.parentNode === list) {
          if (at === row.node) at = node;
          row.node.replaceWith(node);
        }
        row = { signature, node, detail: undefined };
        rows.set(key, row);
      }
      if (detailOf) {
        const detail = detailOf(item);
        if (row.detail !== detail) {
          showDetail(row.node, detail);
          row.detail = detail;
        }
      }
      if (at === row.node) at = at.nextElementSibling;
      else list.insertBefore(row.node, at);
    }
    for (const [key, row] of rows) {
      if (!seen.has(key)) {
        row.node.remove();
        rows.delete(key);
      }
    }
  }

  function render(next) {
    state = next;
    stateAt = typeof next.clocks_at_s === "number" && serverOffset !== null
      ? Math.min(performance.now(), next.clocks_at_s * 1000 + serverOffset) : performance.now();
    if (state.session.id !== sessionId) {
      // A new session (live after the rehearsal, a rehearsal again): the old one's questions
      // can no longer be pinned or hidden, and the window has cleared them; the server sends
      // the new session's own after this state.
      if (sessionId !== null) questions.clear();
      sessionId = state.session.id;
      renderQuestions();
    }
    const mode = state.session.mode;
    $("mode").textContent = t(mode);
    $("mode").className = `badge ${mode === "live" ? "live" : ""}`;
    const currency = state.sales.currency;
    // Orders in other currencies apart, as the window shows them: never added into the GMV,
    // one amount a line ("+ €54.99" under "$48.00"), each whole.
    const written = state.sales.gmv_by_currency_text || {};
    const others = Object.entries(state.sales.gmv_by_currency || {})
      .filter(([code, amount]) => code !== currency && Number(amount) !== 0)
      .map(([code, amount]) => `+ ${unbroken(money(written[code], amount, code))}`);
    $("gmv").textContent = [unbroken(money(state.sales.gmv_text, state.sales.gmv, currency)),
      ...others].join("\n");
    $("orders").textContent = count(state.sales.orders);
    // Written by the server as the window writes it ("3,004"): the page formats no figure.
    $("opm").textContent = state.sales.orders_per_minute_text ??
      state.sales.orders_per_minute.toFixed(1);
    // Items not counted, as the window's orders panel and the report count them (0: hidden).
    const rejected = state.sales.rejected_items || 0;
    $("rejected-row").hidden = rejected === 0;
    $("rejected").textContent = count(rejected);

    const currentIndex = state.segment ? state.segment.index : -1;
    keep($("segments"), state.segments || [], (segment) => segment.index,
      (segment) => JSON.stringify([segment.index === currentIndex, segment.title]),
      (segment) => {
        const item = make("li");
        if (segment.index === currentIndex) item.className = "current";
        item.append(button(`${segment.index + 1}. ${isolate(segment.title)}`,
          () => command("goto_segment", { index: segment.index })));
        return item;
      });
    $("segment-title").textContent = state.segment
      ? `${state.segment.index + 1}/${state.segment.count} ${isolate(state.segment.title)}` : "";

    // Studio mode: a tap stages the card; only Take puts it on air.
    const studio = state.studio_mode === true;
    $("studio").textContent = t(studio ? "studio_on" : "studio_off");
    $("studio").setAttribute("aria-pressed", String(studio));
    $("studio").classList.toggle("active", studio);
    $("take").hidden = !studio;
    const stagedProduct = state.products.find((product) => product.sku === state.staged);
    $("staged").hidden = !studio;
    $("staged").textContent = studio
      ? t("staged", stagedProduct ? isolate(stagedProduct.title) : t("nothing_staged")) : "";

    const onSale = new Set(state.deals.filter((deal) => deal.state === "live").map((deal) => deal.sku));
    const detailOf = (product) =>
      `${money(product.price_text, product.price, product.currency || currency)} · ` +
      `${t("stock", count(product.stock_left))} · ${t("sold", count(product.units_sold))}`;
    keep($("products"), state.products, (product) => product.sku, (product) => JSON.stringify([
      product.title, product.stock_left === 0, product.sku === state.on_screen,
      studio && product.sku === state.staged, studio, onSale.has(product.sku),
    ]), (product) => {
      const item = make("li");
      const classes = [product.sku === state.on_screen ? "on-screen" : "",
        studio && product.sku === state.staged ? "staged" : ""].join(" ").trim();
      const main = button("", () => studio
        ? command("stage_product", { sku: product.sku })
        : command("show_product", { sku: product.sku }), classes);
      main.dataset.sku = product.sku;
      main.append(make("span", product.title), make("span", "", "detail"));
      const live = onSale.has(product.sku);
      const deal = live
        ? button(t("stop"), () => command("stop_deal", { sku: product.sku }))
        : button(t("start_deal"), () => command("start_deal", { sku: product.sku }), "primary");
      deal.disabled = !live && product.stock_left === 0;
      item.append(main, deal);
      return item;
    }, detailOf, (row, detail) => { row.querySelector(".detail").textContent = detail; });
    renderDeals();

    const pinned = state.pinned;
    $("pinned").hidden = !pinned;
    $("pinned-text").textContent = pinned
      ? `${isolate(pinned.author)}: ${isolate(pinned.text)}` : "";
    renderStats(state.stats, state.outputs, state);
  }

  // The window between two shows, or with none when its picture could not start: nothing of
  // the last show stays (its clocks and deals went on counting down, as if it were on air).
  function renderNoShow() {
    state = null;
    sessionId = null;
    questions.clear();
    renderQuestions();
    $("mode").textContent = t("no_show");
    $("mode").className = "badge";
    for (const id of ["segments", "products", "deals", "outputs", "feeds"]) {
      $(id).replaceChildren();
      keptRows.delete($(id));
    }
    for (const id of ["segment-title", "segment-time", "staged", "gmv", "orders", "opm"]) {
      $(id).textContent = "";
    }
    $("pinned").hidden = true;
    $("take").hidden = true;
    $("preview").removeAttribute("src");
  }

  // Kept row by row as the run sheet is, the clocks written into their rows in place: the list
  // was made anew at every redraw of the clocks (twice a second), and a tap on a deal's Stop
  // whose row was remade under the finger did nothing (one tap in two, held 120 ms).
  function renderDeals() {
    const list = $("deals");
    // Once the session has ended its clocks stand, as in the window: counted on here, the
    // segment's time went on growing on the phone for as long as the page stayed open.
    const passed = state.session.mode === "ended" ? 0 : (performance.now() - stateAt) / 1000;
    const titles = new Map(state.products.map((p) => [p.sku, p.title]));
    const title = (deal) => isolate(titles.get(deal.sku) || deal.sku);
    // A product may be priced in another currency than the show's (a €69.99 kettle in a
    // dollar show read "$69.99", a ¥4,500 one "$4,500.00").
    const price = (deal) => money(deal.price_text, deal.price, deal.currency || state.sales.currency);
    const shown = state.deals.length ? state.deals : [null];
    keep(list, shown, (deal) => (deal ? `deal:${deal.sku}` : "none"),
      (deal) => (deal ? JSON.stringify([deal.state, title(deal), price(deal)]) : ""),
      (deal) => {
        const item = make("li");
        if (!deal) {
          item.textContent = t("no_deals");
        } else if (deal.state === "live") {
          item.append(make("span"), button(t("stop"), () => command("stop_deal", { sku: deal.sku })));
        } else {
          item.append(make("span", t("deal_over", title(deal), price(deal))));
        }
        return item;
      });
    const rows = keptRows.get(list);
    for (const deal of state.deals) {
      if (deal.state !== "live") continue;
      const units = deal.units_left === null ? "∞" : count(deal.units_left);
      const text = tn("deal_live", deal.units_left ?? Infinity, title(deal), price(deal),
        countdown(deal.remaining_s - passed), units);
      const span = rows.get(`deal:${deal.sku}`).node.firstChild;
      if (span.textContent !== text) span.textContent = text;
    }
    if (state.segment) {
      $("segment-time").textContent =
        `${clock(state.segment.elapsed_s + passed)} / ${clock(state.segment.planned_s)}`;
    }
  }

  function renderStats(stats, outputs, audience) {
    // Written by the server as the window writes them ("34%" for 34.46): the page rounds no
    // figure itself (it made 34.5 "35%").
    $("fps").textContent = stats.fps_text ?? stats.fps.toFixed(1);
    $("dropped").textContent = count(stats.dropped_frames);
    $("cpu").textContent = stats.cpu_text ?? `${stats.cpu_percent.toFixed(0)}%`;
    // As the window writes the size ("1.2 GB"), by the program's formatter.
    $("recording").textContent = stats.recording_text ??
      `${(stats.recording_bytes / 1e6).toFixed(1)} MB`;
    const list = $("outputs");
    list.replaceChildren();
    for (const output of outputs || []) {
      const attempt = output.attempt ? ` · ${t("output_attempt", output.attempt)}` : "";
      list.append(make("li",
        `${isolate(output.url)} · ${stateWord("output", output.state)}${attempt}`));
    }
    if (!outputs || !outputs.length) list.append(make("li", t("no_outputs")));
    $("viewers").textContent = audience.viewers === null || audience.viewers === undefined
      ? "—" : count(audience.viewers);
    const feeds = $("feeds");
    feeds.replaceChildren();
    for (const feed of audience.feeds || []) {
      const line = make("li",
        tn("feed", feed.items, feed.source, stateWord("feed", feed.state), count(feed.items)));
      if (feed.note || feed.last_error) line.title = feed.last_error || feed.note;
      feeds.append(line);
    }
  }

  function renderQuestions() {
    const newest = [...questions.values()].reverse().slice(0, 8);
    // Kept row by row: a new question remade every row, and a Pin or Hide tapped as it came
    // did nothing.
    keep($("questions"), newest.length ? newest : [null], (comment) => (comment ? comment.id : ""),
      (comment) => (comment ? JSON.stringify([comment.author, comment.text]) : ""),
      (comment) => {
        const item = make("li");
        if (!comment) {
          item.textContent = t("no_questions");
          return item;
        }
        item.append(make("span", `${isolate(comment.author)}: ${isolate(comment.text)}`),
          button(t("pin"), () => command("pin_comment", { id: comment.id })),
          button(t("hide"), () => command("hide_comment", { id: comment.id })));
        return item;
      });
  }

  // A state_changes message applied to the state held: each field of "set" replaced
  // ("board.gmv": a field of the board), each list of "rows" patched row by row (by its
  // "key": rows replaced in place or added at the end, "gone" ones taken out, "order" kept).
  const RUNNING = ["stats", "viewers", "feeds", "board"];
  function applyChanges(target, message) {
    const parentOf = (path) => {
      const names = path.split(".");
      let parent = target;
      for (const name of names.slice(0, -1)) parent = parent[name];
      return [parent, names[names.length - 1]];
    };
    for (const [path, value] of Object.entries(message.set)) {
      const [parent, name] = parentOf(path);
      parent[name] = value;
    }
    for (const [path, patch] of Object.entries(message.rows)) {
      const [parent, name] = parentOf(path);
      const key = patch.key;
      const list = parent[name].slice();
      const at = new Map(list.map((row, i) => [row[key], i]));
      for (const row of patch.rows) {
        const i = at.get(row[key]);
        if (i === undefined) { at.set(row[key], list.length); list.push(row); } else list[i] = row;
      }
      const gone = new Set(patch.gone);
      let rows = gone.size ? list.filter((row) => !gone.has(row[key])) : list;
      if (patch.order) {
        const byKey = new Map(rows.map((row) => [row[key], row]));
        rows = patch.order.map((name) => byKey.get(name));
      }
      parent[name] = rows;
    }
    target.version = message.version;
    // Only the figures that run by themselves (the stats, once a second): the lists stand,
    // and so do the clocks, as of when they were read.
    const running = [...Object.keys(message.set), ...Object.keys(message.rows)]
      .every((path) => RUNNING.includes(path.split(".")[0]));
    if (!running) target.clocks_at_s = message.clocks_at_s;
    return running;
  }

  let socket = null;
  let streamRefusal = "";  // why the stream was refused, while it is said
  function connect() {
    // The server sends the newest comments anew at each connection, hidden ones marked: what
    // was hidden while this page was away must not stay listed from before.
    questions.clear();
    renderQuestions();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    held = null;
    serverOffset = null;  // (another server, maybe: its clock is another)
    socket = new WebSocket(`${scheme}//${location.host}/api/v1/events?token=${encodeURIComponent(token)}&lang=${document.documentElement.lang}&changes=1`);
    socket.onopen = () => { $("connection").textContent = t("connected"); $("connection").className = "badge on"; };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      heard(message);
      if (message.type === "state") {
        held = message;
        render(held);
      } else if (message.type === "state_changes") {
        // Changes of another state than the one held (never sent so): start again, whole.
        if (!held || message.base !== held.version) { socket.close(); return; }
        if (applyChanges(held, message) && state === held) renderStats(held.stats, held.outputs, held);
        else render(held);
      } else if (message.type === "no_show") { held = null; renderNoShow(); }
      else if (message.type === "stats") renderStats(message, message.outputs, message);
      else if (message.type === "comment_hidden") {
        if (questions.delete(message.id)) renderQuestions();
      } else if (message.type === "comment") {
        if (message.question && !message.flagged && !message.hidden) {
          questions.set(message.id, message);
          while (questions.size > 50) questions.delete(questions.keys().next().value);
          renderQuestions();
        } else if (questions.delete(message.id)) {
          renderQuestions();  // hidden or flagged since this page listed it
        }
      }
    };
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      if (streamRefusal && $("error").textContent === streamRefusal) $("error").hidden = true;
      streamRefusal = "";
    });
    socket.onclose = async () => {
      if (locked()) return;  // the lock-out's countdown starts again when it is over
      // A stream refused at its handshake tells the page nothing. Behind a proxy that rewrites
      // Host it is refused 403 with words saying what to change (a same-origin GET carries no
      // Origin, so the state loaded): the page said "reconnecting…" for good. An empty body
      // sent the way the commands are (with Origin) is refused with the same words, and does
      // nothing when the server takes it.
      if (!opened) {
        const why = await fetch("/api/v1/commands", { method: "POST", headers: asked(), body: "{}" })
          .then(async (response) => (response.status === 403 ? (await response.json()).message : ""))
          .catch(() => "");
        if (why) {
          streamRefusal = why;
          $("error").textContent = why;
          $("error").hidden = false;
        }
      }
      $("connection").textContent = t("disconnected");
      $("connection").className = "badge off";
      setTimeout(start, 2000);
    };
  }

  // The preview: one picture at a time, about two a second, only while the page is visible.
  let previewUrl = null;
  async function refreshPreview() {
    if (!document.hidden && token && state && !locked()) {
      try {
        const response = await fetch("/api/v1/program.jpg", { headers: asked() });
        if (await lockedOutBy(response)) { /* said; the preview waits */ }
        else if (response.status === 401) askToken(t("unauthorized"));
        else if (response.ok) {
          const url = URL.createObjectURL(await response.blob());
          $("preview").src = url;
          if (previewUrl) URL.revokeObjectURL(previewUrl);
          previewUrl = url;
        }
      } catch (error) { /* the state stream says when AnchorDesk is gone */ }
    }
    setTimeout(refreshPreview, 500);
  }

  function askToken(message) {
    // A refused token is dropped until the operator gives another: the preview and the
    // reconnections trying it again every half second (after AnchorDesk restarted with a new
    // token) counted 20 wrong tokens within ten seconds, and the phone was locked out for a
    // minute just as the operator typed the new one.
    token = "";
    sessionStorage.removeItem("anchordesk-token");
    showError(message || "");
    $("remote").hidden = true;
    $("login").hidden = false;
  }

  async function start() {
    if (locked()) return;  // the lock-out's countdown calls again
    if (!token) return askToken();
    if (!sendable(token)) return askToken(t("token_characters"));
    try {
      const response = await fetch("/api/v1/state", { headers: asked() });
      if (await lockedOutBy(response)) return;
      if (response.status === 401) return askToken(t("unauthorized"));
      if (response.ok) render(await response.json());
    } catch (error) {
      showError(t("unreachable"));
      setTimeout(start, 2000);
      return;
    }
    $("login").hidden = true;
    $("remote").hidden = false;
    connect();
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    token = typedToken($("token-input").value);
    if (token && !sendable(token)) return askToken(t("token_characters"));
    sessionStorage.setItem("anchordesk-token", token);
    start();
  });
  $("previous").addEventListener("click", () => command("previous_segment"));
  $("next").addEventListener("click", () => command("next_segment"));
  $("hide-product").addEventListener("click", () => command("hide_product"));
  $("unpin").addEventListener("click", () => command("unpin"));
  $("pin-latest").addEventListener("click", () => command("pin_latest_question"));
  $("reconnect").addEventListener("click", () => command("reconnect_now"));
  $("studio").addEventListener("click", () =>
    command("studio_mode", { on: !(state && state.studio_mode === true) }));
  $("take").addEventListener("click", () => command("take"));
  setInterval(() => { if (state) renderDeals(); }, 500);
  renderQuestions();
  start();
  refreshPreview();
})();
