/*
 * Segment rule builder for the Django admin. No dependencies.
 *
 * Reads the field registry, the URLs and any server-side errors from
 * <script id="segment-builder-config" type="application/json">, draws the rule as
 * groups and condition rows, and writes the rule JSON into the hidden input the
 * form saves. While the marketer edits, it asks the preview API for the member
 * count and impact (debounced). It also drives the "explain a contact" panel and
 * the member-count chart. docs/segment-builder.md describes the decisions.
 */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;
  var SEARCH_DELAY_MS = 200;
  var KIND_LABELS = { all: "all", any: "any", none: "none" };
  var CONNECTOR = { all: "and", any: "or", none: "or" };
  var WINDOW_LABELS = { last_days: "the last … days", range: "a date range" };

  // ------------------------------------------------------------------ DOM helpers

  var PROPERTIES = { value: 1, checked: 1, disabled: 1, selected: 1, hidden: 1, multiple: 1 };

  function h(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else if (PROPERTIES[key]) node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(child.nodeType ? child : document.createTextNode(String(child)));
  }

  var SVG_NS = "http://www.w3.org/2000/svg";

  function s(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function humanize(name) {
    var text = String(name).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function plural(count, word, many) {
    return count.toLocaleString() + " " + (count === 1 ? word : many || word + "s");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postJson(url, body, signal) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
      signal: signal,
    }).then(readJson);
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(readJson);
  }

  function readJson(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) {
        var error = new Error(data.message || "HTTP " + response.status);
        error.status = response.status;
        throw error;
      }
      return data;
    });
  }

  // ------------------------------------------------------------- suggestions

  /*
   * A dropdown of suggestions under a text input. `source(query)` returns a promise of
   * [{value, label}]; `onPick(item)` is called on click or Enter. Keys: up, down,
   * Enter, Escape. Enter with no open list is left to the input's other handlers.
   */
  function attachSuggest(input, source, onPick) {
    var menu = h("ul", { class: "rb-suggest", role: "listbox", hidden: true });
    var items = [];
    var active = -1;
    var timer = null;
    var sequence = 0;

    function draw() {
      menu.replaceChildren();
      items.forEach(function (item, index) {
        menu.appendChild(h("li", {
          role: "option", class: index === active ? "active" : null, text: item.label, title: item.value,
          "aria-selected": index === active ? "true" : "false",
          onmousedown: function (event) { event.preventDefault(); pick(item); },
        }));
      });
      menu.hidden = items.length === 0;
    }

    function close() { items = []; active = -1; draw(); }

    function pick(item) { close(); onPick(item); }

    function lookup() {
      var mine = ++sequence;
      clearTimeout(timer);
      timer = setTimeout(function () {
        source(input.value.trim()).then(function (results) {
          if (mine !== sequence || document.activeElement !== input) return;
          items = results;
          active = items.length ? 0 : -1;
          draw();
        }).catch(function () { close(); });
      }, SEARCH_DELAY_MS);
    }

    input.setAttribute("autocomplete", "off");
    input.addEventListener("input", lookup);
    input.addEventListener("focus", lookup);
    input.addEventListener("blur", function () { sequence++; setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      if (menu.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        draw();
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        pick(items[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    return menu;
  }

  function localSource(options) {
    return function (query) {
      var folded = query.toLowerCase();
      return Promise.resolve(options.filter(function (option) {
        return !folded || option.label.toLowerCase().indexOf(folded) >= 0 || option.value.toLowerCase().indexOf(folded) >= 0;
      }));
    };
  }

  // ------------------------------------------------------------------ builder

  function RuleBuilder(container, input, config) {
    this.container = container;
    this.input = input;
    this.config = config;
    this.registry = config.registry;
    this.fields = new Map(this.registry.fields.map(function (field) { return [field.key, field]; }));
    this.valueless = new Set(this.registry.valueless_operators);
    this.labels = new Map(); // reference kind + ":" + value -> label picked from a search
    this.uid = 0;
    this.paths = new Map(); // node id -> JSON pointer of its JSON, set by serialize()
    this.errorLists = new Map(); // node id -> <ul> for its errors
    this.serverErrors = config.errors || [];
    this.edited = false;
    this.previewTimer = null;
    this.previewSequence = 0;
    this.previewAbort = null;

    var initial;
    try { initial = JSON.parse(input.value || "{}"); } catch (error) { initial = {}; }
    var root = this.fromJson(initial);
    this.root = root.type === "group" ? root : this.group("all", [root]);

    this.preview = h("div", { class: "rb-preview", role: "status" });
    this.rootErrors = h("ul", { class: "rb-errors rb-root-errors" });
    this.tree = h("div", { class: "rb-tree" });
    container.replaceChildren(this.preview, this.rootErrors, this.tree);
    container.addEventListener("keydown", function (event) {
      // Enter in a builder input must not submit the admin form.
      if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
    });
    this.render();
    this.showErrors(this.serverErrors);
    this.runPreview();
  }

  RuleBuilder.prototype.group = function (kind, children) {
    return { id: ++this.uid, type: "group", kind: kind, children: children || [] };
  };

  RuleBuilder.prototype.condition = function (data) {
    return {
      id: ++this.uid, type: "condition", field: data.field || "", op: data.op || "",
      value: data.value, window: data.window, orNever: Boolean(data.orNever),
    };
  };

  // JSON -> builder tree. Serializing the tree gives the same JSON back for every
  // rule the builder writes, so error paths of a posted rule point at the same rows.
  RuleBuilder.prototype.fromJson = function (data) {
    var self = this;
    if (!isObject(data)) return this.group("all", []);
    var keys = Object.keys(data);
    if (keys.length === 1 && Array.isArray(data.all)) {
      return this.group("all", data.all.map(function (child) { return self.fromJson(child); }));
    }
    if (keys.length === 1 && Array.isArray(data.any)) {
      return this.orNever(data.any) || this.group("any", data.any.map(function (child) { return self.fromJson(child); }));
    }
    if (keys.length === 1 && "not" in data) {
      var inner = data.not;
      if (isObject(inner) && Object.keys(inner).length === 1 && Array.isArray(inner.any) && inner.any.length !== 1 &&
          !this.orNever(inner.any)) {
        return this.group("none", inner.any.map(function (child) { return self.fromJson(child); }));
      }
      return this.group("none", [this.fromJson(inner)]);
    }
    if (keys.length === 0) return this.group("all", []);
    return this.condition(data);
  };

  // {"any": [{field, op: is_empty}, {field, op: more_than_days_ago, value}]} is one row with "or never".
  RuleBuilder.prototype.orNever = function (items) {
    if (items.length !== 2 || !isObject(items[0]) || !isObject(items[1])) return null;
    var empty = items[0];
    var days = items[1];
    var spec = this.fields.get(days.field);
    if (!spec || !spec.nullable || empty.field !== days.field || empty.op !== "is_empty" ||
        Object.keys(empty).length !== 2 || days.op !== "more_than_days_ago") return null;
    if (Object.keys(days).some(function (key) { return ["field", "op", "value"].indexOf(key) < 0; })) return null;
    return this.condition({ field: days.field, op: days.op, value: days.value, orNever: true });
  };

  RuleBuilder.prototype.toJson = function (node, path) {
    var self = this;
    this.paths.set(node.id, path);
    if (node.type === "group") {
      if (node.kind === "none") {
        if (node.children.length === 1) return { not: this.toJson(node.children[0], path + "/not") };
        return { not: { any: node.children.map(function (child, i) { return self.toJson(child, path + "/not/any/" + i); }) } };
      }
      var data = {};
      data[node.kind] = node.children.map(function (child, i) { return self.toJson(child, path + "/" + node.kind + "/" + i); });
      return data;
    }
    var spec = this.fields.get(node.field);
    var condition = { field: node.field || null };
    if (!node.field) return condition;
    condition.op = node.op || null;
    if (this.shape(spec, node.op) !== "none" && node.value !== undefined) condition.value = node.value;
    if (spec && spec.windowed && node.window !== undefined && node.window !== "all_time") condition.window = node.window;
    if (node.orNever && spec && spec.nullable && node.op === "more_than_days_ago") {
      return { any: [{ field: node.field, op: "is_empty" }, condition] };
    }
    return condition;
  };

  RuleBuilder.prototype.rule = function () {
    this.paths = new Map();
    return this.toJson(this.root, "");
  };

  RuleBuilder.prototype.shape = function (spec, op) {
    if (!spec || !op || this.valueless.has(op)) return "none";
    if (spec.type === "reference") return "references";
    if (op === "in" || op === "not_in") return "list";
    if (op === "between") return "pair";
    if (op === "within_last_days" || op === "more_than_days_ago") return "days";
    return "scalar";
  };

  RuleBuilder.prototype.defaultValue = function (spec, op) {
    var shape = this.shape(spec, op);
    return shape === "list" || shape === "references" ? [] : undefined;
  };

  // Something changed: write the hidden input, redraw when the structure changed, preview later.
  RuleBuilder.prototype.changed = function (structure) {
    this.edited = true;
    if (structure) {
      this.render();
    } else {
      this.input.value = JSON.stringify(this.rule());
    }
    this.schedulePreview();
  };

  RuleBuilder.prototype.render = function () {
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : null;
    this.errorLists = new Map();
    this.tree.replaceChildren(this.renderGroup(this.root, null));
    this.input.value = JSON.stringify(this.rule());
    var target = this.pendingFocus || focused;
    this.pendingFocus = null;
    if (target) {
      var element = this.tree.querySelector('[data-focus="' + target + '"]');
      if (element) element.focus();
    }
  };

  // ------------------------------------------------------------------ groups

  RuleBuilder.prototype.renderGroup = function (group, parent) {
    var self = this;
    var isRoot = parent === null;
    var kind = h("select", {
      class: "rb-kind", "aria-label": "Group type", "data-focus": group.id + ":kind",
      onchange: function (event) { group.kind = event.target.value; self.changed(true); },
    }, Object.keys(KIND_LABELS).map(function (key) {
      return h("option", { value: key, selected: group.kind === key, text: KIND_LABELS[key] });
    }));
    var header = h("div", { class: "rb-group-header" },
      h("span", { class: "rb-group-title" }, isRoot ? "Contacts who match " : "Match ", kind, " of these conditions"),
      h("span", { class: "rb-group-actions" },
        h("button", {
          type: "button", class: "rb-button rb-add-condition", text: "+ Condition",
          onclick: function () {
            var condition = self.condition({});
            group.children.push(condition);
            self.pendingFocus = condition.id + ":field";
            self.changed(true);
          },
        }),
        h("button", {
          type: "button", class: "rb-button rb-add-group", text: "+ Group",
          onclick: function () {
            var condition = self.condition({});
            group.children.push(self.group(group.kind === "any" ? "all" : "any", [condition]));
            self.pendingFocus = condition.id + ":field";
            self.changed(true);
          },
        }),
        isRoot ? null : h("button", {
          type: "button", class: "rb-remove", "aria-label": "Remove group", title: "Remove this group", text: "×",
          onclick: function () { self.remove(parent, group); },
        })
      )
    );
    var errors = h("ul", { class: "rb-errors" });
    this.errorLists.set(group.id, errors);
    var body = h("div", { class: "rb-group-body" });
    if (group.children.length === 0) {
      body.appendChild(h("p", { class: "rb-empty", text: this.emptyText(group.kind, isRoot) }));
    }
    group.children.forEach(function (child, index) {
      if (index > 0) body.appendChild(h("div", { class: "rb-connector", text: CONNECTOR[group.kind] }));
      body.appendChild(child.type === "group" ? self.renderGroup(child, group) : self.renderCondition(child, group));
    });
    return h("div", { class: "rb-group rb-kind-" + group.kind + (isRoot ? " rb-root" : ""), "data-node": group.id },
      header, errors, body);
  };

  RuleBuilder.prototype.emptyText = function (kind, isRoot) {
    var meaning = kind === "any" ? "matches no contact" : "matches every contact";
    return (isRoot ? "No conditions yet: the rule " : "Empty group: it ") + meaning + ". Add a condition.";
  };

  RuleBuilder.prototype.remove = function (parent, node) {
    parent.children.splice(parent.children.indexOf(node), 1);
    this.changed(true);
  };

  // -------------------------------------------------------------- conditions

  RuleBuilder.prototype.renderCondition = function (condition, parent) {
    var self = this;
    var spec = this.fields.get(condition.field);
    var fieldSelect = h("select", {
      class: "rb-field", "aria-label": "Field", "data-focus": condition.id + ":field",
      onchange: function (event) {
        var next = self.fields.get(event.target.value);
        condition.field = event.target.value;
        condition.op = next ? next.operators[0].op : "";
        condition.value = self.defaultValue(next, condition.op);
        condition.window = undefined;
        condition.orNever = false;
        self.pendingFocus = condition.id + ":op";
        self.changed(true);
      },
    }, h("option", { value: "", text: "Choose a field…", selected: !condition.field }));
    if (condition.field && !spec) {
      fieldSelect.appendChild(h("option", { value: condition.field, selected: true, text: "Unknown field: " + condition.field }));
    }
    this.registry.namespaces.forEach(function (namespace) {
      var options = self.registry.fields.filter(function (field) { return field.namespace === namespace.key; });
      if (!options.length) return;
      fieldSelect.appendChild(h("optgroup", { label: namespace.label }, options.map(function (field) {
        return h("option", { value: field.key, selected: field.key === condition.field, text: field.label, title: field.help_text });
      })));
    });

    var opSelect = h("select", {
      class: "rb-op", "aria-label": "Operator", disabled: !spec, "data-focus": condition.id + ":op",
      onchange: function (event) {
        var before = self.shape(spec, condition.op);
        condition.op = event.target.value;
        if (self.shape(spec, condition.op) !== before) condition.value = self.defaultValue(spec, condition.op);
        if (condition.op !== "more_than_days_ago") condition.orNever = false;
        self.pendingFocus = condition.id + ":value";
        self.changed(true);
      },
    }, spec ? spec.operators.map(function (operator) {
      return h("option", { value: operator.op, selected: operator.op === condition.op, text: operator.label });
    }) : h("option", { value: "", text: "operator" }));

    var errors = h("ul", { class: "rb-errors" });
    this.errorLists.set(condition.id, errors);
    var controls = h("div", { class: "rb-controls" },
      fieldSelect, opSelect, this.renderValue(condition, spec), spec && spec.windowed ? this.renderWindow(condition) : null);
    return h("div", { class: "rb-condition", "data-node": condition.id, "data-field": condition.field },
      h("div", { class: "rb-condition-main" },
        controls,
        h("button", {
          type: "button", class: "rb-remove", "aria-label": "Remove condition", title: "Remove this condition", text: "×",
          onclick: function () { self.remove(parent, condition); },
        })
      ),
      spec ? h("div", { class: "rb-help", text: spec.help_text }) : null,
      errors
    );
  };

  RuleBuilder.prototype.renderValue = function (condition, spec) {
    var self = this;
    var shape = this.shape(spec, condition.op);
    var focus = condition.id + ":value";
    var set = function (value) { condition.value = value; self.changed(false); };
    if (shape === "none") return null;
    if (shape === "days") {
      var days = numberInput(condition.value, function (value) { set(value); }, { step: "1", min: "0", focus: focus, label: "Days", integer: true });
      var never = spec.nullable && condition.op === "more_than_days_ago" ? h("label", { class: "rb-never", title: spec.help_text },
        h("input", {
          type: "checkbox", class: "rb-or-never", checked: condition.orNever, "data-focus": condition.id + ":never",
          onchange: function (event) { condition.orNever = event.target.checked; self.changed(false); },
        }), " or never") : null;
      return h("span", { class: "rb-value" }, days, h("span", { class: "rb-unit", text: "days" }), never);
    }
    if (shape === "pair") {
      var pair = Array.isArray(condition.value) ? condition.value.slice(0, 2) : [null, null];
      var setPart = function (index) {
        return function (value) {
          pair[index] = value === undefined ? null : value;
          set(pair[0] === null && pair[1] === null ? undefined : pair.slice());
        };
      };
      var make = spec.type === "number" ? numberInput : dateInput;
      return h("span", { class: "rb-value" },
        make(pair[0], setPart(0), { focus: focus, label: "From" }), h("span", { class: "rb-and", text: "and" }),
        make(pair[1], setPart(1), { focus: condition.id + ":value2", label: "To" }), unit(spec));
    }
    if (shape === "list" || shape === "references") {
      return h("span", { class: "rb-value rb-value-wide" }, this.chipPicker(condition, spec, focus));
    }
    if (spec.type === "number") {
      return h("span", { class: "rb-value" }, numberInput(condition.value, set, { focus: focus, label: "Value" }), unit(spec));
    }
    if (spec.type === "date" || spec.type === "datetime") {
      return h("span", { class: "rb-value" }, dateInput(condition.value, set, { focus: focus, label: "Date" }));
    }
    if (spec.type === "enum") {
      return h("span", { class: "rb-value" }, h("select", {
        class: "rb-input", "aria-label": "Value", "data-focus": focus,
        onchange: function (event) { set(event.target.value || undefined); },
      }, h("option", { value: "", text: "Choose…", selected: !condition.value }), spec.choices.map(function (choice) {
        return h("option", { value: choice.value, text: choice.label, selected: choice.value === condition.value });
      })));
    }
    return h("span", { class: "rb-value" }, h("input", {
      type: "text", class: "rb-input vTextField", "aria-label": "Value", value: condition.value || "", "data-focus": focus,
      oninput: function (event) { set(event.target.value === "" ? undefined : event.target.value); },
    }));
  };

  function unit(spec) {
    return spec.unit ? h("span", { class: "rb-unit", text: spec.unit }) : null;
  }

  function numberInput(value, onChange, options) {
    return h("input", {
      type: "number", class: "rb-input rb-number", step: options.step || "any", min: options.min || null,
      value: value === undefined || value === null ? "" : String(value), "aria-label": options.label,
      "data-focus": options.focus,
      oninput: function (event) {
        var text = event.target.value.trim();
        if (text === "") return onChange(undefined);
        // Plain numbers travel as JSON numbers; anything else as text, so the validator names the problem.
        var plain = options.integer ? /^\d+$/ : /^-?\d{1,15}(\.\d{1,6})?$/;
        onChange(plain.test(text) ? Number(text) : text);
      },
    });
  }

  function dateInput(value, onChange, options) {
    return h("input", {
      type: "date", class: "rb-input rb-date", value: value || "", "aria-label": options.label, "data-focus": options.focus,
      oninput: function (event) { onChange(event.target.value || undefined); },
    });
  }

  // A multi-value picker: chips plus a search box with suggestions.
  RuleBuilder.prototype.chipPicker = function (condition, spec, focus) {
    var self = this;
    var values = Array.isArray(condition.value) ? condition.value.slice() : [];
    var kind = spec.reference || spec.type;
    var options = spec.choices.length ? spec.choices : null;
    var free = !options; // enum and channel values come from the registry only
    var remote = !options && ["product", "category", "segment"].indexOf(spec.reference) >= 0;
    var placeholder = {
      product: "Search products by SKU or name…", category: "Search categories…", segment: "Search segments…",
    }[spec.reference] || (options ? "Choose…" : "Type a value, press Enter");
    var list = h("span", { class: "rb-chip-list" });
    var input = h("input", { type: "text", class: "rb-chip-input", placeholder: placeholder, "aria-label": "Values", "data-focus": focus });

    function labelOf(value) {
      if (options) {
        var option = options.find(function (item) { return item.value === value; });
        if (option) return option.label;
      }
      return self.labels.get(kind + ":" + value) || value;
    }
    function commit() {
      condition.value = values.slice();
      draw();
      self.changed(false);
    }
    function add(value, label) {
      value = String(value).trim();
      if (!value || values.indexOf(value) >= 0) return;
      if (label) self.labels.set(kind + ":" + value, label);
      values.push(value);
      input.value = "";
      commit();
    }
    function draw() {
      list.replaceChildren();
      values.forEach(function (value, index) {
        list.appendChild(h("span", { class: "rb-chip", title: value },
          h("span", { class: "rb-chip-label", text: labelOf(value) }),
          h("button", {
            type: "button", class: "rb-chip-remove", "aria-label": "Remove " + labelOf(value), text: "×",
            onclick: function () { values.splice(index, 1); commit(); },
          })));
      });
    }
    var source;
    if (options) {
      source = localSource(options);
    } else if (remote) {
      source = function (query) {
        var url = self.config.urls.lookup + "?kind=" + encodeURIComponent(spec.reference) + "&q=" + encodeURIComponent(query);
        return getJson(url).then(function (data) {
          return data.results.filter(function (item) { return !(spec.reference === "segment" && item.value === self.config.segment); });
        });
      };
    } else {
      source = function () { return Promise.resolve([]); };
    }
    var menu = attachSuggest(input, function (query) {
      return source(query).then(function (items) {
        return items.filter(function (item) { return values.indexOf(item.value) < 0; });
      });
    }, function (item) { add(item.value, item.label); input.focus(); });
    input.addEventListener("keydown", function (event) {
      if (event.defaultPrevented) return;
      if ((event.key === "Enter" || event.key === ",") && free) {
        event.preventDefault();
        add(input.value);
      } else if (event.key === "Backspace" && !input.value && values.length) {
        values.pop();
        commit();
      }
    });
    if (free && !remote) input.addEventListener("blur", function () { if (input.value.trim()) add(input.value); });
    draw();
    var box = h("span", { class: "rb-chips", onclick: function (event) { if (event.target === box || event.target === list) input.focus(); } },
      list, input, menu);
    return box;
  };

  RuleBuilder.prototype.renderWindow = function (condition) {
    var self = this;
    var current = windowKind(condition.window);
    var select = h("select", {
      class: "rb-window", "aria-label": "Period", "data-focus": condition.id + ":window",
      onchange: function (event) {
        var kind = event.target.value;
        condition.window = kind === "all_time" ? undefined : kind === "last_days" ? { last_days: 30 }
          : kind === "range" ? { from: "", to: "" } : kind;
        self.pendingFocus = condition.id + ":window-extra";
        self.changed(true);
      },
    }, this.registry.windows.map(function (name) {
      return h("option", { value: name, selected: name === current, text: WINDOW_LABELS[name] || humanize(name).toLowerCase() });
    }));
    var extra = null;
    if (current === "last_days") {
      extra = [numberInput(condition.window.last_days, function (value) {
        condition.window = { last_days: value === undefined ? null : value };
        self.changed(false);
      }, { step: "1", min: "0", focus: condition.id + ":window-extra", label: "Days in the period", integer: true }),
      h("span", { class: "rb-unit", text: "days" })];
    } else if (current === "range") {
      var range = condition.window;
      extra = [
        dateInput(range.from, function (value) { range.from = value || ""; self.changed(false); },
          { focus: condition.id + ":window-extra", label: "Period from" }),
        h("span", { class: "rb-and", text: "to" }),
        dateInput(range.to, function (value) { range.to = value || ""; self.changed(false); }, { label: "Period to" }),
      ];
    }
    return h("span", { class: "rb-window-box" }, h("span", { class: "rb-in", text: "in" }), select, extra);
  };

  function windowKind(window) {
    if (window === undefined || window === null) return "all_time";
    if (typeof window === "string") return window;
    if (isObject(window) && "last_days" in window) return "last_days";
    return "range";
  }

  // ----------------------------------------------------------------- errors

  // Each error goes to the row or group whose JSON pointer is the longest prefix of the error's path.
  RuleBuilder.prototype.showErrors = function (errors) {
    var self = this;
    this.errorLists.forEach(function (list) { list.replaceChildren(); list.parentNode.classList.remove("rb-has-error"); });
    this.rootErrors.replaceChildren();
    errors.forEach(function (error) {
      var best = null;
      var bestLength = -1;
      self.paths.forEach(function (path, id) {
        var matches = error.path === path || error.path.indexOf(path + "/") === 0;
        if (matches && path.length > bestLength) { best = id; bestLength = path.length; }
      });
      var list = best === null ? self.rootErrors : self.errorLists.get(best);
      if (!list || best === self.root.id && error.path === "") list = self.rootErrors;
      list.appendChild(h("li", { text: error.message }));
      if (list.parentNode && list !== self.rootErrors) list.parentNode.classList.add("rb-has-error");
    });
  };

  // ---------------------------------------------------------------- preview

  RuleBuilder.prototype.schedulePreview = function () {
    var self = this;
    clearTimeout(this.previewTimer);
    this.preview.classList.add("rb-loading");
    this.previewTimer = setTimeout(function () { self.runPreview(); }, PREVIEW_DELAY_MS);
  };

  RuleBuilder.prototype.runPreview = function () {
    var self = this;
    var mine = ++this.previewSequence;
    if (this.previewAbort) this.previewAbort.abort();
    this.previewAbort = typeof AbortController === "function" ? new AbortController() : null;
    var body = { rule: this.rule() };
    if (this.config.segment) body.segment = this.config.segment;
    this.preview.classList.add("rb-loading");
    postJson(this.config.urls.preview, body, this.previewAbort && this.previewAbort.signal).then(function (data) {
      if (mine !== self.previewSequence) return;
      self.showPreview(data);
    }).catch(function (error) {
      if (mine !== self.previewSequence || error.name === "AbortError") return;
      self.preview.classList.remove("rb-loading");
      self.preview.replaceChildren(h("span", { class: "rb-preview-error", text: "Live count unavailable: " + error.message }));
    });
  };

  RuleBuilder.prototype.showPreview = function (data) {
    var errors = data.errors || [];
    if (!this.edited) {
      // Until the first edit, keep what the server said on save (unknown SKUs, cycles), which preview does not check.
      var seen = new Set(errors.map(function (e) { return e.path + "\n" + e.message; }));
      errors = errors.concat(this.serverErrors.filter(function (e) { return !seen.has(e.path + "\n" + e.message); }));
    }
    this.showErrors(errors);
    this.preview.classList.remove("rb-loading");
    if (!data.valid) {
      this.preview.className = "rb-preview rb-invalid";
      this.preview.replaceChildren(
        h("span", { class: "rb-count", "data-count": "" }, "Finish the rule: ", plural(errors.length, "problem"), " marked below."));
      return;
    }
    this.preview.className = "rb-preview rb-valid";
    var impact = null;
    if (data.impact) {
      impact = h("span", { class: "rb-impact", title: "Compared with the members of the last refresh" },
        h("span", { class: "rb-join", text: "+" + data.impact.would_join.toLocaleString() + " join" }), ", ",
        h("span", { class: "rb-leave", text: "−" + data.impact.would_leave.toLocaleString() + " leave" }));
    }
    var sample = null;
    if (data.sample && data.sample.length) {
      var list = h("ol", { class: "rb-sample" }, data.sample.map(function (row) {
        return h("li", null, h("strong", { text: row.email }), " ", h("span", { class: "sb-quiet", text: [row.name, row.company].filter(Boolean).join(" · ") }));
      }));
      sample = h("details", { class: "rb-sample-box" }, h("summary", { text: "Sample of " + data.sample.length }), list);
    }
    this.preview.replaceChildren();
    append(this.preview, [
      h("span", { class: "rb-count", "data-count": String(data.count) },
        h("strong", { text: data.count.toLocaleString() }), data.count === 1 ? " contact matches" : " contacts match"),
      impact, sample]);
  };

  // ---------------------------------------------------------------- explain

  function describeValue(spec, value) {
    if (Array.isArray(value)) return value.map(function (item) { return describeValue(spec, item); }).join(", ");
    if (spec && spec.choices) {
      var choice = spec.choices.find(function (item) { return item.value === value; });
      if (choice) return choice.label;
    }
    return String(value);
  }

  RuleBuilder.prototype.describe = function (condition) {
    var spec = this.fields.get(condition.field);
    var label = spec ? spec.label : condition.field;
    var operator = spec ? spec.operators.find(function (item) { return item.op === condition.op; }) : null;
    var opLabel = operator ? operator.label : condition.op;
    var text = label;
    if (condition.window) {
      var kind = windowKind(condition.window);
      text += " (" + (kind === "last_days" ? "last " + condition.window.last_days + " days"
        : kind === "range" ? condition.window.from + " to " + condition.window.to : humanize(kind).toLowerCase()) + ")";
    }
    if (!("value" in condition)) return text + " " + opLabel;
    var value = condition.op === "between" ? describeValue(spec, condition.value[0]) + " and " + describeValue(spec, condition.value[1])
      : describeValue(spec, condition.value);
    if (opLabel.indexOf("...") >= 0) return text + " " + opLabel.replace("...", value);
    return text + " " + opLabel + " " + value + (spec && spec.unit && spec.type === "number" ? " " + spec.unit : "");
  };

  function describeActual(value) {
    if (value === null || value === undefined || value === "") return "empty";
    if (value === true) return "yes";
    if (value === false) return "no";
    if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
    var text = String(value);
    var datetime = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(text);
    return datetime ? datetime[1] + " " + datetime[2] : text;
  }

  RuleBuilder.prototype.renderExplainNode = function (node) {
    var self = this;
    var mark = h("span", { class: "rb-mark", "aria-label": node.result ? "true" : "false", text: node.result ? "✓" : "✗" });
    var cls = "rb-x " + (node.result ? "rb-x-true" : "rb-x-false");
    if (node.kind === "condition") {
      return h("li", { class: cls }, mark, " ", h("span", { text: this.describe(node.condition) }),
        h("span", { class: "rb-x-actual", text: "actual: " + describeActual(node.actual) }));
    }
    var title = { all: "All of", any: "Any of", not: "Not" }[node.kind] || node.kind;
    return h("li", { class: cls }, mark, " ", h("strong", { text: title }),
      h("ul", null, node.children.map(function (child) { return self.renderExplainNode(child); })));
  };

  RuleBuilder.prototype.setupExplain = function (panel) {
    var self = this;
    var formBox = panel.querySelector(".sb-explain-form");
    var result = panel.querySelector(".sb-explain-result");
    var chosen = null;
    var input = h("input", {
      type: "search", class: "vTextField sb-explain-contact", placeholder: "Contact email, name, company or id",
      "aria-label": "Contact",
    });
    var menu = attachSuggest(input, function (query) {
      return getJson(self.config.urls.lookup + "?kind=contact&q=" + encodeURIComponent(query)).then(function (data) { return data.results; });
    }, function (item) { chosen = item; input.value = item.label; });
    input.addEventListener("input", function () { chosen = null; });
    var button = h("button", { type: "button", class: "button sb-explain-button", text: "Explain" });
    function run() {
      var typed = input.value.trim();
      var id = chosen ? chosen.value : /^\d+$/.test(typed) ? typed : null;
      if (!id) {
        result.replaceChildren(h("p", { class: "sb-quiet", text: "Pick a contact from the suggestions, or type a contact id." }));
        return;
      }
      result.replaceChildren(h("p", { class: "sb-quiet", text: "Checking…" }));
      postJson(self.config.urls.explain, { rule: self.rule(), contact: Number(id), segment: self.config.segment }).then(function (data) {
        if (!data.valid) {
          result.replaceChildren(h("p", { class: "errornote", text: "Fix the rule first: " + plural(data.errors.length, "problem") + " marked above." }));
          return;
        }
        var verdict = data.tree.result ? "matches the rule as it is in the builder" : "does not match the rule as it is in the builder";
        var membership = data.is_member === null || data.is_member === undefined ? null
          : h("span", { class: "sb-quiet", text: data.is_member ? " (a member since the last refresh)" : " (not a member at the last refresh)" });
        result.replaceChildren(
          h("p", { class: "sb-verdict " + (data.tree.result ? "rb-x-true" : "rb-x-false") },
            h("strong", { text: data.contact.email }), data.contact.company ? " (" + data.contact.company + ")" : "", " ", verdict, membership),
          h("ul", { class: "rb-explain-tree" }, self.renderExplainNode(data.tree)));
      }).catch(function (error) {
        result.replaceChildren(h("p", { class: "errornote", text: error.message }));
      });
    }
    button.addEventListener("click", run);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.defaultPrevented) { event.preventDefault(); run(); }
    });
    formBox.replaceChildren(h("span", { class: "sb-explain-picker" }, input, menu), button);
  };

  // ------------------------------------------------------------------ chart

  function niceCeiling(value) {
    if (value <= 10) return Math.max(2, Math.ceil(value / 2) * 2); // whole numbers on the middle line too
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * magnitude >= value) return steps[i] * magnitude;
    }
    return 10 * magnitude;
  }

  function formatDay(time) {
    return new Date(time).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }

  function historyChart(points) {
    if (!points.length) return h("p", { class: "sb-quiet", text: "No refreshes yet." });
    var width = 720, height = 200, left = 56, right = 16, top = 14, bottom = 30;
    var times = points.map(function (p) { return Date.parse(p.at); });
    var counts = points.map(function (p) { return p.member_count; });
    var first = Math.min.apply(null, times), last = Math.max.apply(null, times);
    var ceiling = niceCeiling(Math.max.apply(null, counts));
    var x = function (t) { return last === first ? left + (width - left - right) / 2 : left + (t - first) / (last - first) * (width - left - right); };
    var y = function (v) { return height - bottom - v / ceiling * (height - top - bottom); };
    var svg = s("svg", { viewBox: "0 0 " + width + " " + height, class: "sb-chart-svg", role: "img",
      "aria-label": "Member count over time, from " + counts[0] + " to " + counts[counts.length - 1] });
    [0, ceiling / 2, ceiling].forEach(function (tick) {
      svg.appendChild(s("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "sb-grid" }));
      svg.appendChild(s("text", { x: left - 8, y: y(tick) + 4, class: "sb-axis", "text-anchor": "end" }, tick.toLocaleString()));
    });
    var line = points.map(function (p, i) { return x(times[i]).toFixed(1) + "," + y(counts[i]).toFixed(1); });
    if (points.length > 1) {
      svg.appendChild(s("path", { class: "sb-area", d: "M" + x(times[0]).toFixed(1) + "," + y(0) + " L" + line.join(" L") + " L" + x(times[times.length - 1]).toFixed(1) + "," + y(0) + " Z" }));
      svg.appendChild(s("polyline", { class: "sb-line", points: line.join(" ") }));
    }
    if (points.length <= 60) {
      points.forEach(function (p, i) {
        var dot = s("circle", { cx: x(times[i]), cy: y(counts[i]), r: 3.5, class: "sb-dot" });
        dot.appendChild(s("title", {}, formatDay(times[i]) + " " + new Date(times[i]).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
          + ": " + plural(p.member_count, "member") + " (+" + p.joined + " / −" + p.left + ")"));
        svg.appendChild(dot);
      });
    }
    svg.appendChild(s("text", { x: left, y: height - 8, class: "sb-axis", "text-anchor": "start" }, formatDay(first)));
    if (last !== first) svg.appendChild(s("text", { x: width - right, y: height - 8, class: "sb-axis", "text-anchor": "end" }, formatDay(last)));
    var latest = points[points.length - 1];
    return h("div", null, svg, h("p", { class: "sb-quiet" },
      plural(points.length, "refresh", "refreshes") + "; latest: " + plural(latest.member_count, "member") +
      " (+" + latest.joined + " joined, −" + latest.left + " left)."));
  }

  function setupHistory(box, url) {
    getJson(url).then(function (data) {
      box.replaceChildren(historyChart(data.member_counts || []));
    }).catch(function (error) {
      box.replaceChildren(h("p", { class: "sb-quiet", text: "The history could not be loaded: " + error.message }));
    });
  }

  // ------------------------------------------------------------------- start

  function start() {
    var configElement = document.getElementById("segment-builder-config");
    if (!configElement) return;
    var config = JSON.parse(configElement.textContent);
    var chart = document.querySelector("#segment-history .sb-chart");
    if (chart && config.urls.history) setupHistory(chart, config.urls.history);
    // Without change permission the rule is shown read-only and there is no builder.
    var container = document.querySelector(".rule-builder[data-rule-input]");
    var input = container && document.getElementById(container.getAttribute("data-rule-input"));
    if (!input) return;
    var builder = new RuleBuilder(container, input, config);
    var explainPanel = document.getElementById("segment-explain");
    if (explainPanel) builder.setupExplain(explainPanel);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
