// Small line icons (24 x 24, stroke = currentColor) built as SVG DOM nodes, no icon font.
//
// Category icons are looked up by the `icon` name stored with each feedback category
// (data/feedback_categories.json); an unknown name falls back to "other".

const SVG_NS = "http://www.w3.org/2000/svg";

const PATHS = {
  // categories
  road: ["M7 3L3 21", "M17 3l4 18", "M12 4v3", "M12 10v4", "M12 17v3"],
  lightbulb: ["M9 18h6", "M10 21h4", "M12 3a6 6 0 0 0-4 10.5c.8.8 1 1.7 1 2.5h6c0-.8.2-1.7 1-2.5A6 6 0 0 0 12 3z"],
  trash: ["M4 7h16", "M10 11v6", "M14 11v6", "M6 7l1 13h10l1-13", "M9 7V4h6v3"],
  droplet: ["M12 3s6 6.5 6 11a6 6 0 0 1-12 0c0-4.5 6-11 6-11z"],
  water: ["M3 8c2-2 4-2 6 0s4 2 6 0 4-2 6 0", "M3 13c2-2 4-2 6 0s4 2 6 0 4-2 6 0", "M3 18c2-2 4-2 6 0s4 2 6 0 4-2 6 0"],
  building: ["M4 21V8l8-5 8 5v13", "M9 21v-6h6v6", "M8 10h2", "M14 10h2", "M2 21h20"],
  "traffic-cone": ["M9.5 4h5l4.5 15H5z", "M7.5 11h9", "M3 21h18", "M8.5 7.5h7"],
  shield: ["M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6z", "M9 12l2 2 4-4"],
  sprout: ["M12 21V11", "M12 11c0-4-3-6-8-6 0 4 3 6 8 6z", "M12 13c0-4 3-6 8-6 0 4-3 6-8 6z"],
  school: ["M2 9l10-5 10 5-10 5z", "M6 11v5c2 2 10 2 12 0v-5", "M22 9v6"],
  health: ["M9 3h6v6h6v6h-6v6H9v-6H3V9h6z"],
  document: ["M6 3h9l4 4v14H6z", "M14 3v5h5", "M9 12h7", "M9 16h7"],
  other: ["M5 12h.01", "M12 12h.01", "M19 12h.01", "M3 12a9 9 0 1 0 18 0 9 9 0 1 0-18 0"],
  // interface
  locate: ["M12 2v3", "M12 19v3", "M2 12h3", "M19 12h3", "M12 6a6 6 0 1 0 0 12 6 6 0 1 0 0-12", "M12 10a2 2 0 1 0 0 4 2 2 0 1 0 0-4"],
  pin: ["M12 22s7-6.5 7-12a7 7 0 0 0-14 0c0 5.5 7 12 7 12z", "M12 7a3 3 0 1 0 0 6 3 3 0 1 0 0-6"],
  camera: ["M3 8h4l2-3h6l2 3h4v12H3z", "M12 10a3.5 3.5 0 1 0 0 7 3.5 3.5 0 1 0 0-7"],
  check: ["M5 12l5 5L20 7"],
  close: ["M6 6l12 12", "M18 6L6 18"],
  copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
  search: ["M11 4a7 7 0 1 0 0 14 7 7 0 1 0 0-14", "M20 20l-4-4"],
  clock: ["M12 3a9 9 0 1 0 0 18 9 9 0 1 0 0-18", "M12 7v5l3 2"],
  users: ["M9 11a4 4 0 1 0 0-8 4 4 0 1 0 0 8", "M2 21c0-4 3-6 7-6s7 2 7 6", "M16 3.5a4 4 0 0 1 0 7.5", "M18 15c2.5.5 4 2.5 4 6"],
  map: ["M3 6l6-3 6 3 6-3v15l-6 3-6-3-6 3z", "M9 3v15", "M15 6v15"],
  list: ["M8 6h13", "M8 12h13", "M8 18h13", "M3 6h.01", "M3 12h.01", "M3 18h.01"],
  alert: ["M12 3l10 18H2z", "M12 10v5", "M12 18h.01"],
  back: ["M15 5l-7 7 7 7"],
  plus: ["M12 5v14", "M5 12h14"],
  building2: ["M4 21V4h10v17", "M14 9h6v12", "M7 8h2", "M7 12h2", "M7 16h2", "M2 21h20"],
};

/** An SVG icon element; `name` from the table above ("other" when unknown). */
export function icon(name, { size = 20, className = "" } = {}) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.9");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `icon icon-${PATHS[name] ? name : "other"} ${className}`.trim());
  for (const d of PATHS[name] || PATHS.other) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** The map pin of the report form: a filled drop with a white dot (its tip is the place). */
export function pinNode() {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 36 48");
  svg.setAttribute("width", "36");
  svg.setAttribute("height", "48");
  svg.setAttribute("aria-hidden", "true");
  const drop = document.createElementNS(SVG_NS, "path");
  drop.setAttribute("d", "M18 46C18 46 33 29.5 33 18A15 15 0 0 0 3 18C3 29.5 18 46 18 46Z");
  drop.setAttribute("class", "pin-body");
  const dot = document.createElementNS(SVG_NS, "circle");
  dot.setAttribute("cx", "18");
  dot.setAttribute("cy", "18");
  dot.setAttribute("r", "6");
  dot.setAttribute("class", "pin-dot");
  svg.append(drop, dot);
  return svg;
}
