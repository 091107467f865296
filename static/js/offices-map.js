/* Social Window: maps of offices, needs, tasks and dispatch plans.
 *
 * Progressive enhancement: the page lists everything without this script. For each
 *   <div class="map" data-map-points-src="#points-json" data-tile-url="..." data-tile-attribution="...">
 * it draws a Leaflet map (load /static/vendor/leaflet/leaflet.js first) with one marker per point of
 *   <script type="application/json" id="points-json">[{"lat":..,"lon":..,"title":"..","url":"..","subtitle":".."}]</script>
 * A point may also carry "kind" ("place", the default; "slot"; "volunteer": a different shape each),
 * "label" (a short text on the marker, e.g. the pair's number in a dispatch plan) and "items" (lines
 * listed in its popup). data-map-lines-src="#lines-json" draws [{"from":[lat,lon],"to":[lat,lon]}] as lines.
 * Instead of points in the page, data-map-points-url="/needs/map.json?..." has the map ask the server for the
 * points of the box it shows (bbox=west,south,east,north&zoom=z) after each move; a point with "zoom": true is
 * a cell of several places, which a tap zooms into. data-center-radius-km frames the search's circle.
 * Optional attributes: data-center-lat, data-center-lon, data-center-label ("you are here" marker),
 * data-fallback="#id" (otherwise the sibling .map-fallback is used), and the controls' words in the
 * page's language: data-label-zoom-in, data-label-zoom-out, data-label-close, data-label-leaflet.
 * When Leaflet is missing or the first tiles fail, the .map-fallback text is shown; markers stay on a
 * blank background. Text from the page is only ever inserted as text, never as HTML.
 */
(function () {
  'use strict';

  const DEFAULT_TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
  const KAZAKHSTAN = { center: [48.0, 67.0], zoom: 4 };
  const TILE_TIMEOUT_MS = 15000;

  function toCoord(value, limit) {
    // A missing attribute is null, and Number(null) would be 0: a point off the coast of Africa.
    if (value === null || value === undefined || value === '') return null;
    const n = typeof value === 'string' ? parseFloat(value.replace(',', '.')) : Number(value);
    return Number.isFinite(n) && Math.abs(n) <= limit ? n : null;
  }

  function safeUrl(value) {
    if (typeof value !== 'string' || !value) return null;
    try {
      const url = new URL(value, window.location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function readJson(el, attribute) {
    const selector = el.getAttribute(attribute);
    if (!selector) return [];
    let source;
    try {
      source = document.querySelector(selector);
    } catch (e) {
      return [];
    }
    if (!source) return [];
    let data;
    try {
      data = JSON.parse(source.textContent || '[]');
    } catch (e) {
      return [];
    }
    return Array.isArray(data) ? data : [];
  }

  const KINDS = ['place', 'slot', 'volunteer'];

  function readPoints(el) {
    return parsePoints(readJson(el, 'data-map-points-src'));
  }

  function parsePoints(data) {
    const points = [];
    for (const p of Array.isArray(data) ? data : []) {
      if (!p || typeof p !== 'object') continue;
      const lat = toCoord(p.lat, 90);
      const lon = toCoord(p.lon, 180);
      if (lat === null || lon === null) continue;
      points.push({
        lat: lat,
        lon: lon,
        title: p.title == null ? '' : String(p.title),
        subtitle: p.subtitle == null ? '' : String(p.subtitle),
        url: safeUrl(p.url),
        kind: KINDS.indexOf(p.kind) >= 0 ? p.kind : 'place',
        label: p.label == null ? '' : String(p.label).slice(0, 12),
        items: Array.isArray(p.items) ? p.items.map(String) : [],
        zoom: p.zoom === true,
      });
    }
    return points;
  }

  function readLatLng(pair) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const lat = toCoord(pair[0], 90);
    const lon = toCoord(pair[1], 180);
    return lat === null || lon === null ? null : [lat, lon];
  }

  function readLines(el) {
    const lines = [];
    for (const line of readJson(el, 'data-map-lines-src')) {
      const from = line && readLatLng(line.from);
      const to = line && readLatLng(line.to);
      if (from && to) lines.push([from, to]);
    }
    return lines;
  }

  /* A marker of at least 36 px (a thumb's target): a pin for a place or a task's slot, a disc for a
   * volunteer, widened to fit its label. The shapes differ, so the kind is never told by colour alone. */
  function markerIcon(point) {
    const shape = document.createElement('span');
    shape.className = 'map-pin-shape';
    if (point.label) {
      const text = document.createElement('span');
      text.className = 'map-pin-label';
      text.textContent = point.label;
      shape.appendChild(text);
    }
    const width = Math.max(36, 18 + 9 * point.label.length);
    const height = point.kind === 'volunteer' ? 36 : 46; // a pin's tip sits below its head
    return L.divIcon({
      html: shape,
      className: 'map-pin map-pin-' + point.kind,
      iconSize: [width, height],
      iconAnchor: [width / 2, point.kind === 'volunteer' ? height / 2 : height],
      popupAnchor: [0, point.kind === 'volunteer' ? -height / 2 : -height],
    });
  }

  /* Popup content built from DOM nodes, so titles can never inject markup. */
  function popupFor(point) {
    const box = document.createElement('div');
    const head = document.createElement(point.url ? 'a' : 'strong');
    head.textContent = point.title || point.url || '';
    if (point.url) head.href = point.url;
    box.appendChild(head);
    if (point.subtitle) {
      const sub = document.createElement('p');
      sub.textContent = point.subtitle;
      box.appendChild(sub);
    }
    if (point.items.length) {
      const list = document.createElement('ul');
      for (const item of point.items) {
        const li = document.createElement('li');
        li.textContent = item;
        list.appendChild(li);
      }
      box.appendChild(list);
    }
    return box;
  }

  /* The attribution is operator configuration (e.g. "&copy; OpenStreetMap contributors"), but it is
   * still reduced to text and plain http(s) links before Leaflet puts it into the page. */
  function safeAttribution(html) {
    if (!html) return '';
    // <template> content is inert: nothing in it loads or runs while we copy the safe parts out.
    const tpl = document.createElement('template');
    tpl.innerHTML = html;
    const out = document.createElement('span');
    (function copy(from, to) {
      for (const node of Array.from(from.childNodes)) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(node.data));
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          const href = node.tagName === 'A' ? safeUrl(node.getAttribute('href')) : null;
          if (href) {
            const a = document.createElement('a');
            a.href = href;
            a.rel = 'noopener noreferrer';
            copy(node, a);
            to.appendChild(a);
          } else if (node.tagName !== 'SCRIPT' && node.tagName !== 'STYLE') {
            copy(node, to);
          }
        }
      }
    })(tpl.content, out);
    return out.innerHTML;
  }

  function findFallback(el) {
    const selector = el.getAttribute('data-fallback');
    if (selector) {
      try {
        const found = document.querySelector(selector);
        if (found) return found;
      } catch (e) { /* fall through to the sibling */ }
    }
    const parent = el.parentElement;
    if (!parent) return null;
    for (const child of Array.from(parent.children)) {
      if (child !== el && child.classList.contains('map-fallback')) return child;
    }
    return null;
  }

  function showFallback(el, show) {
    const fallback = findFallback(el);
    if (fallback) fallback.hidden = !show;
  }

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  }

  /* Leaflet's own words (zoom buttons, the "Leaflet" link, a popup's close button) in the page's language. */
  function addControls(map, el) {
    const zoomIn = el.getAttribute('data-label-zoom-in');
    const zoomOut = el.getAttribute('data-label-zoom-out');
    const options = { position: 'topleft' };
    if (zoomIn) options.zoomInTitle = zoomIn;
    if (zoomOut) options.zoomOutTitle = zoomOut;
    L.control.zoom(options).addTo(map);

    const link = document.createElement('a');
    link.href = 'https://leafletjs.com';
    link.textContent = 'Leaflet';
    const about = el.getAttribute('data-label-leaflet');
    if (about) link.title = about;
    L.control.attribution({ prefix: link.outerHTML }).addTo(map);

    const close = el.getAttribute('data-label-close');
    if (close) {
      map.on('popupopen', function (event) {
        const button = event.popup.getElement() && event.popup.getElement().querySelector('.leaflet-popup-close-button');
        if (button) {
          button.setAttribute('aria-label', close);
          button.title = close;
        }
      });
    }
  }

  function addTiles(map, el) {
    const url = el.hasAttribute('data-tile-url') ? el.getAttribute('data-tile-url').trim() : DEFAULT_TILES;
    if (!url) {
      showFallback(el, true); // tiles switched off by configuration: markers on a blank background
      return;
    }
    let loaded = false;
    let failedShown = false;
    const layer = L.tileLayer(url, {
      maxZoom: 19,
      attribution: safeAttribution(el.getAttribute('data-tile-attribution') || ''),
    });
    layer.on('tileerror', function () {
      if (!loaded && !failedShown) {
        failedShown = true;
        showFallback(el, true);
      }
    });
    layer.on('tileload', function () {
      loaded = true;
      if (failedShown) {
        failedShown = false;
        showFallback(el, false);
      }
    });
    window.setTimeout(function () {
      if (!loaded && !failedShown) {
        failedShown = true;
        showFallback(el, true);
      }
    }, TILE_TIMEOUT_MS);
    layer.addTo(map);
  }

  function addMarker(layer, point) {
    const latlng = [point.lat, point.lon];
    const marker = L.marker(latlng, { icon: markerIcon(point), title: point.title, riseOnHover: true });
    if (point.zoom) {
      // A cell of several places: zoom in on it rather than list them.
      marker.on('click', function () { layer._map.setView(latlng, Math.min(layer._map.getZoom() + 2, 18)); });
    } else {
      marker.bindPopup(popupFor(point));
    }
    marker.addTo(layer);
    const icon = marker.getElement();
    if (icon && point.title) icon.setAttribute('aria-label', point.label ? point.label + '. ' + point.title : point.title);
    return marker;
  }

  /* A map whose points come from the server (data-map-points-url), for the box it shows: asked again after each
   * move, the last answer wins; the points of a whole country arrive merged into cells. */
  function loadPoints(map, el) {
    const source = el.getAttribute('data-map-points-url');
    const status = el.parentNode && el.parentNode.querySelector('[data-map-status]');
    const layer = L.layerGroup().addTo(map);
    layer._map = map;
    let asked = 0;
    let timer = null;

    function say(text) { if (status) status.textContent = text || ''; }

    function ask() {
      const mine = ++asked;
      const url = new URL(source, window.location.href);
      url.searchParams.set('bbox', map.getBounds().pad(0.1).toBBoxString().split(',').map(function (v, i) {
        const limit = i % 2 === 0 ? 180 : 90;
        return Math.max(-limit, Math.min(limit, Number(v))).toFixed(3);
      }).join(','));
      url.searchParams.set('zoom', String(map.getZoom()));
      say(el.getAttribute('data-label-loading'));
      fetch(url.href, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          if (mine !== asked) return; // a later move asked again
          layer.clearLayers();
          parsePoints(data).forEach(function (point) { addMarker(layer, point); });
          say('');
        })
        .catch(function () { if (mine === asked) say(el.getAttribute('data-label-failed')); });
    }

    map.on('moveend', function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 250);
    });
    ask();
  }

  function initMap(el) {
    if (el.getAttribute('data-map-ready')) return;
    el.setAttribute('data-map-ready', '1');
    el.hidden = false;

    const motion = !reducedMotion();
    const map = L.map(el, {
      scrollWheelZoom: false, // the page scrolls, not the map; zoom with the +/- buttons
      zoomAnimation: motion,
      fadeAnimation: motion,
      markerZoomAnimation: motion,
      zoomControl: false, // added by addControls, with the page's words
      attributionControl: false,
    });
    addControls(map, el);
    addTiles(map, el);

    const bounds = [];
    for (const line of readLines(el)) {
      // Under the markers (the overlay pane), and not a target of its own: the markers at its ends are.
      L.polyline(line, { color: '#12344d', weight: 3, opacity: 0.8, dashArray: '6 6', interactive: false }).addTo(map);
    }
    for (const point of readPoints(el)) {
      addMarker(map, point);
      bounds.push([point.lat, point.lon]);
    }

    const cLat = toCoord(el.getAttribute('data-center-lat'), 90);
    const cLon = toCoord(el.getAttribute('data-center-lon'), 180);
    const hasCenter = cLat !== null && cLon !== null;
    if (hasCenter) {
      const here = L.circleMarker([cLat, cLon], {
        radius: 15, // 33 px across with its ring
        color: '#ffffff',
        weight: 3,
        fillColor: '#b3261e',
        fillOpacity: 1,
      }).addTo(map);
      const label = el.getAttribute('data-center-label');
      if (label) {
        const text = document.createElement('span');
        text.textContent = label; // Leaflet would treat a plain string as HTML
        here.bindPopup(text);
      }
      bounds.push([cLat, cLon]);
    }

    const radiusKm = Number(el.getAttribute('data-center-radius-km'));
    if (hasCenter && radiusKm > 0) {
      map.fitBounds(L.latLng(cLat, cLon).toBounds(radiusKm * 2000), { animate: false });
    } else if (hasCenter && el.getAttribute('data-map-points-url')) {
      map.setView([cLat, cLon], 11, { animate: false });
    } else if (bounds.length > 1) {
      // extra room at the top for the height of the marker pins
      map.fitBounds(bounds, { paddingTopLeft: [36, 60], paddingBottomRight: [36, 28], maxZoom: 15, animate: false });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 13, { animate: false });
    } else {
      map.setView(KAZAKHSTAN.center, KAZAKHSTAN.zoom, { animate: false });
    }

    if (el.getAttribute('data-map-points-url') && window.fetch) loadPoints(map, el);

    // A map inside a toggled or resized container needs to re-measure itself.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { map.invalidateSize(); }).observe(el);
    }
    el.dispatchEvent(new CustomEvent('sw:map-ready', { bubbles: true, detail: { map: map } }));
  }

  function init() {
    const maps = document.querySelectorAll('.map[data-map-points-src], .map[data-map-points-url], .map[data-tile-url]');
    if (!maps.length) return;
    if (typeof window.L === 'undefined' || !window.L.map) {
      maps.forEach(function (el) { showFallback(el, true); });
      return;
    }
    maps.forEach(function (el) {
      try {
        initMap(el);
      } catch (e) {
        showFallback(el, true);
        if (window.console) console.error(e);
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
