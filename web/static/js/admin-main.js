// The administration page (/admin): feedback categories, routing rules and the holiday
// calendar. Admins only: anyone else sees why not, and no configuration is requested.
//
// <body data-access="granted|signed-out|denied">, data-ready="1" once the page has settled,
// data-tab = the open tab.

import { errorText, api } from "./api.js";
import { CategoriesTab } from "./admin-categories.js";
import { HolidaysTab } from "./admin-holidays.js";
import { applyAdminI18n, tr } from "./admin-i18n.js";
import { RulesTab } from "./admin-rules.js";
import { runGatedPage } from "./gate.js";
import { applyI18n, onLangChange } from "./i18n.js";

const $ = (id) => document.getElementById(id);

class AdminApp {
  constructor() {
    this.ctx = {
      categories: [],
      rules: [],
      agencies: new Map(),
      changed: () => this.render(),
      status: (message, kind = "ok") => this.status(message, kind),
    };
    this.categories = new CategoriesTab(this.ctx);
    this.rules = new RulesTab(this.ctx);
    this.holidays = new HolidaysTab(this.ctx);
    for (const tab of document.querySelectorAll(".admin-tab")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    onLangChange(() => this.render());
  }

  async start() {
    const [agencies] = await Promise.all([
      api("/api/v1/feedback/agencies"),
      this.categories.load(),
      this.rules.load(),
      this.holidays.load(),
    ]);
    this.ctx.agencies = new Map(agencies.map((a) => [a.code, a]));
    this.render();
  }

  render() {
    this.categories.render();
    this.rules.render();
    this.holidays.render();
  }

  showTab(name) {
    for (const tab of document.querySelectorAll(".admin-tab")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      $(tab.getAttribute("aria-controls")).hidden = !on;
    }
    document.body.dataset.tab = name;
  }

  status(message, kind) {
    const node = $("admin-status");
    node.dataset.kind = kind;
    node.textContent = message;
  }
}

async function start() {
  applyI18n(document);
  applyAdminI18n(document);
  await runGatedPage({
    roles: ["admin"], prefix: "admin", text: tr,
    keys: {
      signedOutTitle: "admin.gate_signed_out_title", signedOut: "admin.gate_signed_out",
      deniedTitle: "admin.gate_denied_title", denied: "admin.gate_denied",
    },
    create: () => {
      const app = new AdminApp();
      window.iocmapAdmin = app;
      return app;
    },
    failed: (err, app) => app.status(tr("admin.load_failed", { message: errorText(err) }), "error"),
  });
}

start();
