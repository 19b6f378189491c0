// The live feed: GET /api/v1/events as server-sent events (EventSource sends the session
// cookie; after a drop the browser reconnects by itself with Last-Event-ID, and the server
// replays what was missed). The first paint comes from the JSON page of the same log, and
// the stream starts right after its last id (?last_event_id=), so nothing falls between.
//
// State for the page and tests: <body data-live="connecting|live|reconnecting|offline|
// unavailable">, and #ioc-conn[data-state]. Each event goes to onEvent(event) (map pins,
// counters) and to the feed list (newest first, MAX_FEED kept); clicking an item calls
// onSelect(event).

import { el, fill } from "./dom.js";
import { formatDateTime } from "./i18n.js";
import { incidentBadge } from "./ioc-layers.js";
import { statusBadge } from "./report-view.js";

const MAX_FEED = 60;
const FIRST_PAINT = 30;
const RETRY_CLOSED_MS = 10_000;

export class LiveFeed {
  /**
   * @param list the <ol> of the feed
   * @param conn the connection chip
   * @param tr translate; api the api.js module
   * @param communeName code -> name
   */
  constructor({ list, conn, connText, tr, api, communeName, onEvent, onSelect, onReset }) {
    Object.assign(this, { list, conn, connText, tr, api, communeName, onEvent, onSelect, onReset });
    this.items = [];
    this.lastId = null;
    this.source = null;
    this.received = 0;
    this.retryTimer = null;
    this.state = "connecting";
  }

  async start() {
    try {
      const page = await this.api.api(`/api/v1/events?limit=${FIRST_PAINT}`);
      this.items = [...page.events].reverse();
      this.lastId = page.last_id;
    } catch (err) {
      if (err && (err.status === 401 || err.status === 403)) {
        this.setState("unavailable");
        this.render();
        return;
      }
    }
    this.render();
    this.connect();
  }

  connect() {
    if (!window.EventSource) {
      this.setState("unavailable");
      return;
    }
    const url = this.lastId !== null && this.lastId !== undefined
      ? `/api/v1/events?last_event_id=${encodeURIComponent(this.lastId)}` : "/api/v1/events";
    const source = new EventSource(url, { withCredentials: true });
    this.source = source;
    this.setState("connecting");
    source.addEventListener("open", () => this.setState("live"));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // refused (session expired) or the server is gone: try again a little later
        this.setState("offline");
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.connect(), RETRY_CLOSED_MS);
      } else {
        this.setState("reconnecting");
      }
    });
    source.addEventListener("reset", () => this.onReset && this.onReset());
    source.addEventListener("message", (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!event || typeof event.kind !== "string") return;
      const seq = Number(e.lastEventId);
      if (Number.isFinite(seq)) {
        event.seq = seq;
        this.lastId = seq;
      }
      this.received += 1;
      event.arrived = Date.now();
      this.items.unshift(event);
      this.items.length = Math.min(this.items.length, MAX_FEED);
      this.onEvent(event);
      this.render();
    });
  }

  stop() {
    clearTimeout(this.retryTimer);
    if (this.source) this.source.close();
  }

  setState(state) {
    this.state = state;
    document.body.dataset.live = state;
    this.conn.dataset.state = state;
    this.connText.textContent = this.tr(`ioc.conn_${state}`);
  }

  render() {
    const { tr } = this;
    this.connText.textContent = tr(`ioc.conn_${this.state}`);
    if (!this.items.length) {
      fill(this.list, el("li", { className: "ioc-feed-empty muted" }, tr("ioc.feed_empty")));
      return;
    }
    fill(this.list, ...this.items.map((e) => this.row(e)));
  }

  row(e) {
    const { tr } = this;
    const badge = e.type === "incident" ? incidentBadge(e.status, tr) : statusBadge(e.status);
    const button = el("button", { type: "button", className: "ioc-feed-item" },
      el("span", { className: "ioc-feed-top" },
        el("time", { className: "ioc-feed-time", dateTime: e.at }, formatDateTime(e.at)),
        el("span", { className: `ioc-feed-kind kind-${e.type}` }, tr(`ioc.kind.${e.kind}`))),
      el("span", { className: "ioc-feed-main" },
        el("span", { className: "report-code" }, e.id),
        badge),
      el("span", { className: "ioc-feed-meta muted" }, e.commune ? this.communeName(e.commune) : ""));
    button.addEventListener("click", () => this.onSelect(e));
    const fresh = e.arrived && Date.now() - e.arrived < 1500;
    return el("li", { className: fresh ? "is-new" : "", dataset: { code: e.id, kind: e.kind, seq: String(e.seq ?? "") } },
      button);
  }
}
