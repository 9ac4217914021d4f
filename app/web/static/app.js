// The demo page: builds an outfit and asks the public API about it. No framework and no
// build step; every call is one the API documents (/types, /items, /fitb, /compatibility).

const PAGE_SIZE = 12;

const state = {
  types: [],
  browse: { type: null, offset: 0, total: 0 },
  // entries: {item_id, type, title} for catalog items, {upload, preview, type, title} for photos
  outfit: [],
  blankAsked: false,
};

// Only the answer to the latest request of each kind is shown: a slow answer to an older
// outfit must not overwrite the current one.
const latest = { compatibility: 0, recommendations: 0, browse: 0 };

const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    // the API's errors say what to fix: show them as they are
    throw new Error(data?.error?.message ?? `${path}: HTTP ${response.status}`);
  }
  return data;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text ?? "";
  box.hidden = !text;
}

function report(error) {
  showMessage(error.message);
}

// -- pictures ---------------------------------------------------------------------------

// What to call an item: its title, else its url_name slug read as words (Polyvore items often
// have one without the other), else its id.
function nameOf(item) {
  return item.title || (item.url_name || "").replaceAll("-", " ") || item.item_id || "";
}

function thumbnail(entry) {
  const src = entry.preview ?? `/items/${encodeURIComponent(entry.item_id)}/image`;
  const img = element("img", { src, alt: nameOf(entry) || entry.type });
  // a service without LOOKBOOK_IMAGES_DIR answers 404: show the type instead of a broken icon
  img.addEventListener("error", () => {
    img.replaceWith(element("span", { className: "noimage" }, entry.type));
  }, { once: true });
  return img;
}

function card(entry, extra = []) {
  const name = nameOf(entry) || "your photo";
  const caption = element("span", { className: "caption" },
    element("span", { className: "title", title: name }, name),  // the whole of a cut title
    element("span", { className: "type" }, entry.type));
  const node = element("li", { className: "card" }, thumbnail(entry), caption, ...extra);
  if (entry.item_id) node.dataset.itemId = entry.item_id;
  return node;
}

function button(label, onClick, props = {}) {
  const node = element("button", { type: "button", ...props }, label);
  node.addEventListener("click", onClick);
  return node;
}

// -- the catalog ------------------------------------------------------------------------

function fillTypeSelect(select, selected) {
  select.replaceChildren(...state.types.map((t) =>
    element("option", { value: t.name, selected: t.name === selected },
      `${t.name} (${t.n_items})`)));
}

async function browse() {
  const { type, offset } = state.browse;
  const ticket = ++latest.browse;
  const query = new URLSearchParams({ type, limit: PAGE_SIZE, offset });
  const page = await api(`/items?${query}`);
  if (ticket !== latest.browse) return;
  state.browse.total = page.total;
  const inOutfit = new Set(state.outfit.map((e) => e.item_id));
  $("browse-items").replaceChildren(...page.items.map((item) => card(item, [
    button("Add", () => addToOutfit(item), {
      disabled: inOutfit.has(item.item_id),
      title: `add ${nameOf(item)} to the outfit`,
    }),
  ])));
  const last = Math.min(offset + page.items.length, page.total);
  $("browse-range").textContent = page.total ? `${offset + 1}–${last} of ${page.total}` : "none";
  $("browse-prev").disabled = offset === 0;
  $("browse-next").disabled = last >= page.total;
}

function turnPage(step) {
  state.browse.offset = Math.max(0, state.browse.offset + step * PAGE_SIZE);
  browse().catch(report);
}

// -- the outfit -------------------------------------------------------------------------

function addToOutfit(item) {
  if (state.outfit.some((e) => e.item_id && e.item_id === item.item_id)) return;
  state.outfit.push({ item_id: item.item_id, type: item.type, title: nameOf(item) });
  outfitChanged();
}

function removeFromOutfit(index) {
  const [gone] = state.outfit.splice(index, 1);
  if (gone.preview) URL.revokeObjectURL(gone.preview);
  outfitChanged();
}

function requestOutfit() {
  return state.outfit.map((e) => (e.upload
    ? { image_base64: e.upload, type: e.type }
    : { item_id: e.item_id }));
}

function renderOutfit(weakest = []) {
  $("outfit-items").replaceChildren(...state.outfit.map((entry, i) => {
    const node = card(entry, [button("Remove", () => removeFromOutfit(i))]);
    node.classList.toggle("weak", weakest.includes(i));
    return node;
  }));
  $("outfit-empty").hidden = state.outfit.length > 0;
}

function outfitChanged() {
  showMessage(null);
  renderOutfit();
  browse().catch(report);  // refreshes which "Add" buttons are disabled
  scoreOutfit().catch(report);
  if (state.blankAsked) recommend().catch(report);
}

async function scoreOutfit() {
  const ticket = ++latest.compatibility;
  const panel = $("compatibility");
  if (state.outfit.length < 2) {
    panel.hidden = true;
    return;
  }
  const result = await api("/compatibility", { outfit: requestOutfit() });
  if (ticket !== latest.compatibility) return;
  const score = $("score");
  score.textContent = `${(result.score * 100).toFixed(1)}%`;
  score.dataset.score = String(result.score);
  $("score-meter").value = result.score;
  const [a, b] = result.weakest_pair.items;
  const pair = [state.outfit[a], state.outfit[b]];
  $("weakest").replaceChildren(
    card(pair[0]), element("span", { className: "versus" }, "×"), card(pair[1]),
    element("p", { className: "hint" },
      `type-aware distance ${result.weakest_pair.distance.toFixed(3)}, the largest of the ` +
      `${result.pairs.length} pairs: swap one of these to raise the score`));
  $("weakest").dataset.items = `${a},${b}`;
  renderOutfit([a, b]);
  panel.hidden = false;
}

async function addUpload(event) {
  event.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  const upload = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("load", () => resolve(reader.result));
    reader.addEventListener("error", () => reject(new Error(`could not read ${file.name}`)));
    reader.readAsDataURL(file);  // the API takes a data: URL as image_base64
  });
  state.outfit.push({
    upload, preview: URL.createObjectURL(file), type: $("upload-type").value, title: file.name,
  });
  $("upload-form").reset();
  outfitChanged();
}

// -- recommendations --------------------------------------------------------------------

async function recommend() {
  const ticket = ++latest.recommendations;
  const list = $("recommendations");
  if (state.outfit.length === 0) {
    list.replaceChildren(element("li", { className: "hint" }, "Add an item to the outfit first."));
    return;
  }
  const k = Number($("blank-k").value) || 8;
  const result = await api("/fitb", {
    outfit: requestOutfit(), blank_type: $("blank-type").value, k,
  });
  if (ticket !== latest.recommendations) return;
  list.replaceChildren(...result.ranking.map((hit) => {
    const score = element("span", { className: "hit-score" }, `${(hit.score * 100).toFixed(1)}%`);
    return card(hit, [score, button("Add", () => addToOutfit(hit))]);
  }));
  if (result.ranking.length === 0) {
    list.replaceChildren(element("li", { className: "hint" }, "No item of this type to offer."));
  }
}

// -- start ------------------------------------------------------------------------------

async function start() {
  const [{ types }, ready] = await Promise.all([api("/types"), api("/readyz")]);
  state.types = types;
  state.browse.type = types[0]?.name ?? null;
  fillTypeSelect($("browse-type"), state.browse.type);
  fillTypeSelect($("upload-type"), state.browse.type);
  fillTypeSelect($("blank-type"), types.at(-1)?.name);
  if (!ready.uploads) {
    // a bundle without its exported model cannot embed photos (the API would answer 503)
    $("upload-form").replaceChildren(element("p", { className: "hint" },
      "This service cannot embed photos: its bundle has no model/ folder."));
  } else {
    $("upload-form").addEventListener("submit", (e) => addUpload(e).catch(report));
  }
  $("browse-type").addEventListener("change", (e) => {
    state.browse = { type: e.target.value, offset: 0, total: 0 };
    browse().catch(report);
  });
  $("browse-prev").addEventListener("click", () => turnPage(-1));
  $("browse-next").addEventListener("click", () => turnPage(1));
  $("outfit-clear").addEventListener("click", () => {
    state.outfit.forEach((e) => e.preview && URL.revokeObjectURL(e.preview));
    state.outfit = [];
    outfitChanged();
  });
  $("blank-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.blankAsked = true;
    recommend().catch(report);
  });
  renderOutfit();
  await browse();
  document.body.dataset.ready = "true";  // for the browser test: the page is wired up
}

start().catch(report);
