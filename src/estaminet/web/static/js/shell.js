// The persistent shell: links and forms inside the venue fetch the next page and swap only
// its content (the top bar and #page), so this document, its one live connection and the
// voice call (its peer connections and the <audio> in the dock) stay. Each page's scripts
// are mounted on the new content and undone on leaving it. Without JavaScript, or for what
// the shell does not handle (other sites, downloads, game tables), the browser does as usual.
// See docs/voice.md ("Moving around the venue").

// Not pages: files, feeds and pictures are fetched by the browser itself.
const FILES = /^\/static\/|\/pictures\/|\.(ics|pdf|md|json|csv|txt|zip|png|jpe?g|gif|webp|svg|css|js)$/i;
// Game tables load as whole pages (table.js is written for one page per document).
const WHOLE = /^\/t\//;

const htmlOf = (url) => url.split("#")[0];

function topicsIn(...roots) {
  const found = new Set();
  for (const root of roots) {
    for (const el of root?.querySelectorAll("[data-topic]") || []) found.add(el.dataset.topic);
  }
  return found;
}

function loaded(link) {
  return new Promise((resolve) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
  });
}

export class Shell {
  /**
   * @param {object} hooks
   * @param {(root: Element) => () => void} hooks.mount  wire a page's content; returns its undo
   * @param {(root: Element) => Promise<void>} hooks.prepare  load the modules a page needs
   * @param {import("./live.js").Live} hooks.live        the one live connection
   * @param {() => string[]} hooks.kept                  topics to follow whatever the page
   * @param {() => boolean} hooks.inCall                 whether leaving would end a call
   * @param {() => void} hooks.hangUp                    end the call before a sign-out
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.ticket = 0;
    this.url = htmlOf(location.href);
    this.unmount = hooks.mount(document.getElementById("page") || document.body);
  }

  start() {
    if (!window.fetch || !window.DOMParser || !history.pushState) return;
    if (document.querySelector("[data-table]")) return; // a table page leaves by a full load
    history.scrollRestoration = "manual";
    history.replaceState({ ...history.state, shell: true, scroll: scrollY }, "");
    document.addEventListener("click", (e) => this.click(e));
    document.addEventListener("submit", (e) => this.submit(e));
    window.addEventListener("popstate", (e) => this.pop(e));
  }

  // -- what the shell takes over ------------------------------------------------------

  handles(url) {
    return url.origin === location.origin && /^https?:$/.test(url.protocol)
      && !FILES.test(url.pathname) && !WHOLE.test(url.pathname);
  }

  click(e) {
    // Browsers without SubmitEvent.submitter (older Safari): remember the button pressed.
    const button = e.target.closest?.("button, input[type=submit], input[type=image]");
    this.pressed = button?.form ? button : null;
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest?.("a[href]");
    if (!a || (a.target && a.target !== "_self") || a.hasAttribute("download") || a.dataset.shell === "off") return;
    const url = new URL(a.href, location.href);
    if (!this.handles(url)) return;
    if (url.hash && htmlOf(url.href) === htmlOf(location.href)) return; // a place on this page
    e.preventDefault();
    this.go(url.href, { push: true });
  }

  submit(e) {
    if (e.defaultPrevented) return;
    const form = e.target;
    const submitter = e.submitter || (this.pressed?.form === form ? this.pressed : null);
    if (form.hasAttribute("data-ends-voice")) {
      // Signing out ends the call: ask first, then let the browser send the form.
      if (this.hooks.inCall()) {
        if (!confirm(document.querySelector("[data-voice-dock]")?.dataset.tSignOut || "")) {
          e.preventDefault();
          return;
        }
        this.hooks.hangUp();
      }
      return;
    }
    if ((form.target && form.target !== "_self") || form.dataset.shell === "off") return;
    const method = (submitter?.getAttribute("formmethod") || form.getAttribute("method") || "get").toLowerCase();
    if (method !== "get" && method !== "post") return;
    const url = new URL(submitter?.getAttribute("formaction") || form.getAttribute("action") || location.href, location.href);
    if (!this.handles(url)) return;
    const data = new FormData(form);
    if (submitter?.name) data.append(submitter.name, submitter.value);
    const enctype = submitter?.getAttribute("formenctype") || form.enctype;
    e.preventDefault();
    if (method === "get") {
      url.search = new URLSearchParams([...data].filter(([, v]) => typeof v === "string")).toString();
      this.go(url.href, { push: true });
      return;
    }
    const body = enctype === "multipart/form-data" ? data
      : new URLSearchParams([...data].filter(([, v]) => typeof v === "string"));
    this.go(url.href, { push: true, post: body, form });
  }

  pop(e) {
    const href = htmlOf(location.href);
    if (href === this.url) return; // only the #fragment changed
    this.go(location.href, { push: false, scroll: e.state?.scroll ?? 0 });
  }

  // -- fetching and swapping -------------------------------------------------------------

  // The browser's own navigation, for what the shell cannot show in place.
  whole(href) {
    location.assign(href);
  }

  async go(href, { push, post = null, form = null, scroll = null }) {
    const ticket = ++this.ticket;
    const main = document.getElementById("main");
    main?.setAttribute("aria-busy", "true");
    const abort = new AbortController();
    let response;
    try {
      response = await fetch(href, {
        method: post ? "POST" : "GET",
        body: post,
        credentials: "same-origin",
        headers: { accept: "text/html" },
        signal: abort.signal,
      });
    } catch {
      main?.removeAttribute("aria-busy");
      // Unreachable: let the browser try and say so (a form is sent again by the browser).
      if (ticket !== this.ticket) return;
      if (form) form.submit();
      else this.whole(href);
      return;
    }
    if (ticket !== this.ticket) return; // a newer click won
    const final = new URL(response.url || href);
    if (!response.redirected) final.hash = new URL(href, location.href).hash;
    const type = response.headers.get("content-type") || "";
    if (!type.includes("text/html") || !this.handles(final)) {
      abort.abort();
      main?.removeAttribute("aria-busy");
      this.whole(final.href);
      return;
    }
    const text = await response.text();
    if (ticket !== this.ticket) return;
    const doc = new DOMParser().parseFromString(text, "text/html");
    const page = doc.getElementById("page");
    const changed = doc.documentElement.lang !== document.documentElement.lang
      || (doc.body.dataset.me || "") !== (document.body.dataset.me || "");
    if (!page || changed || doc.querySelector("[data-table]") || this.upgraded(doc)) {
      // Another language or another person (signed in or out), or new scripts: the whole
      // document changes.
      main?.removeAttribute("aria-busy");
      this.whole(final.href);
      return;
    }
    // The page is shown once its stylesheets and its screens' modules are here: none of its
    // controls is on screen before the script that makes it work.
    const [, prepared] = await Promise.all([
      this.heads(doc),
      this.hooks.prepare(page).then(() => true, () => false),
    ]);
    if (ticket !== this.ticket) return;
    if (!prepared) {
      // A module did not come (the network): the browser loads the page, which works as HTML.
      main?.removeAttribute("aria-busy");
      this.whole(post && !response.redirected ? location.href : final.href);
      return;
    }
    // A form answered in place (its errors) keeps the address of the page that showed it.
    const shownAt = post && !response.redirected ? location.href : final.href;
    if (push) {
      history.replaceState({ ...history.state, scroll: scrollY }, "");
      if (shownAt !== location.href || post) history.pushState({ shell: true, scroll: 0 }, "", shownAt);
    }
    this.swap(doc, page);
    this.place(scroll, final.hash);
  }

  // Whether the next page runs other scripts than this document (the venue was upgraded:
  // the static files' version in their addresses changed): they cannot be mixed.
  upgraded(doc) {
    const entry = (d) => d.head.querySelector("script[type=module][src]")?.getAttribute("src") || "";
    return entry(doc) !== entry(document);
  }

  // Stylesheets and module scripts the next page's head has and this one does not.
  async heads(doc) {
    const have = new Set([...document.head.querySelectorAll("link[rel=stylesheet], script[src]")]
      .map((el) => el.getAttribute("href") || el.getAttribute("src")));
    const waits = [];
    for (const el of doc.head.querySelectorAll("link[rel=stylesheet], script[src]")) {
      const key = el.getAttribute("href") || el.getAttribute("src");
      if (have.has(key)) continue;
      if (el.tagName === "LINK") {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = key;
        waits.push(loaded(link));
        document.head.append(link);
      } else {
        const script = document.createElement("script");
        if (el.type) script.type = el.type;
        script.src = key;
        document.head.append(script);
      }
    }
    await Promise.all(waits);
  }

  swap(doc, page) {
    const { live } = this.hooks;
    const oldBar = document.querySelector("header.topbar");
    const oldPage = document.getElementById("page");
    // Everything followed but the person's own topic (notices), which no page declares.
    const before = [...live.last.keys()].filter((topic) => !topic.startsWith("user:"));
    document.title = doc.title;
    document.body.className = doc.body.className;
    for (const key of ["csrf", "role", "inboxSeq", "era"]) {
      if (doc.body.dataset[key] !== undefined) document.body.dataset[key] = doc.body.dataset[key];
    }
    const bar = doc.querySelector("header.topbar");
    // The bell is kept live by the person's own topic: when a notice reached this tab after
    // the new page was rendered, the page's bell is older than the one on screen.
    const me = document.body.dataset.me;
    const seen = me ? Number(live.last.get(`user:${me}`)) || 0 : 0;
    const liveBell = oldBar?.querySelector("[data-bell]");
    const pageBell = bar?.querySelector("[data-bell]");
    if (liveBell && pageBell && seen > (Number(doc.body.dataset.inboxSeq) || 0)) {
      pageBell.replaceWith(liveBell);
    }
    if (oldBar && bar) oldBar.replaceWith(document.adoptNode(bar));
    const fresh = document.adoptNode(page);
    oldPage.replaceWith(fresh);
    this.unmount(); // after the swap: a call whose bar is gone now shows in the dock
    // What the old page followed and the new one does not: the server stops sending it
    // (a room's chat, its presence: leaving a room's page is leaving the room).
    const now = topicsIn(document.querySelector("header.topbar"), fresh);
    for (const topic of this.hooks.kept()) now.add(topic);
    for (const topic of before) if (!now.has(topic)) live.unfollow(topic);
    const resumed = new Set();
    for (const el of fresh.querySelectorAll("[data-topic]")) {
      const topic = el.dataset.topic;
      if (live.last.has(topic) && !resumed.has(topic)) live.resume(topic, el.dataset.seq);
      resumed.add(topic);
    }
    live.followNew();
    this.url = htmlOf(location.href);
    this.unmount = this.hooks.mount(fresh);
  }

  // Where the eye and the keyboard go on the new page: its #fragment, else the top; focus
  // on the content (or the field the page asks for), and its title said to screen readers.
  place(scroll, hash) {
    const main = document.getElementById("main");
    const target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
    if (target) target.scrollIntoView();
    else window.scrollTo(0, scroll || 0);
    const wanted = main?.querySelector("[autofocus]");
    (wanted || main)?.focus({ preventScroll: true });
    const say = document.getElementById("shell-announce");
    if (say) say.textContent = document.title;
  }
}
