// Renders the OpenAPI document served beside this page: operations grouped by tag, their
// parameters, bodies and answers, and the schemas they refer to. No framework, no CDN.

const doc = await (await fetch("openapi.json", { headers: { Accept: "application/json" } })).json();
const base = (doc.servers && doc.servers[0] && doc.servers[0].url) || "";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

/** Text with `code` spans, as the document's descriptions are written. */
function prose(text) {
  const span = document.createElement("span");
  (text || "").split("`").forEach((part, i) => span.append(i % 2 ? el("code", {}, part) : part));
  return span;
}

function refName(schema) {
  return schema && schema.$ref ? schema.$ref.split("/").pop() : null;
}

/** A schema as short readable text; references become links to the schema section. */
function schemaView(schema) {
  const name = refName(schema);
  if (name) return el("a", { href: `#schema-${name}` }, name);
  return el("pre", {}, JSON.stringify(schema, null, 2));
}

function contentView(content) {
  const list = el("div");
  for (const [type, media] of Object.entries(content || {})) {
    list.append(el("div", {}, el("code", {}, type), " ", schemaView(media.schema || {})));
  }
  return list;
}

function parametersView(parameters) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"),
    el("th", {}, "type"), el("th", {}, "meaning")));
  for (const p of parameters) {
    const type = p.schema ? [].concat(p.schema.type || "").join(" | ") : "";
    table.append(el("tr", {}, el("td", {}, el("code", {}, p.name + (p.required ? "" : "?"))),
      el("td", {}, p.in), el("td", {}, type), el("td", {}, prose(p.description))));
  }
  return table;
}

function responsesView(responses) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning"),
    el("th", {}, "body")));
  for (const [status, answer] of Object.entries(responses)) {
    table.append(el("tr", {}, el("td", { class: "status" }, status),
      el("td", {}, prose(answer.description)), el("td", {}, contentView(answer.content))));
  }
  return table;
}

function operationView(path, method, op) {
  const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, "-");
  const head = el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()),
    el("span", { class: "path" }, base + path), el("span", { class: "summary" }, op.summary || ""));
  if (op.security && op.security.length === 0) head.append(el("span", { class: "public" }, "no auth"));
  const body = el("div");
  if (op.parameters && op.parameters.length) body.append(el("h4", {}, "Parameters"), parametersView(op.parameters));
  if (op.requestBody) body.append(el("h4", {}, "Body"), contentView(op.requestBody.content));
  body.append(el("h4", {}, "Answers"), responsesView(op.responses || {}));
  return el("details", { class: "op", id }, head, body);
}

function render() {
  document.title = doc.info.title;
  const intro = document.getElementById("intro");
  intro.replaceChildren(prose(doc.info.description), ` Version ${doc.info.version}. `,
    el("a", { href: "openapi.json" }, "openapi.json"));
  const byTag = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationView(path, method, op));
    }
  }
  const main = document.getElementById("operations");
  const toc = document.getElementById("toc");
  for (const [tag, views] of byTag) {
    main.append(el("h2", { id: `tag-${tag}` }, tag), ...views);
    toc.append(el("a", { href: `#tag-${tag}` }, tag));
  }
  toc.append(el("a", { href: "#schemas" }, "schemas"));
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    schemas.append(el("h3", { id: `schema-${name}` }, name), el("pre", {}, JSON.stringify(schema, null, 2)));
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

render();
