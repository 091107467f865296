/* Social Window: maps of offices, needs and tasks.
 *
 * Progressive enhancement: the page lists everything without this script. For each
 *   <div class="map" data-map-points-src="#points-json" data-tile-url="..." data-tile-attribution="...">
 * it draws a Leaflet map (load /static/vendor/leaflet/leaflet.js first) with one marker per point of
 *   <script type="application/json" id="points-json">[{"lat":..,"lon":..,"title":"..","url":"..","subtitle":".."}]</script>
 * Optional attributes: data-center-lat, data-center-lon, data-center-label ("you are here" marker),
 * data-fallback="#id" (otherwise the sibling .map-fallback is used).
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

  function readPoints(el) {
    const selector = el.getAttribute('data-map-points-src');
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
    if (!Array.isArray(data)) return [];
    const points = [];
    for (const p of data) {
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
      });
    }
    return points;
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
    });
    addTiles(map, el);

    const bounds = [];
    for (const point of readPoints(el)) {
      const latlng = [point.lat, point.lon];
      const marker = L.marker(latlng, { title: point.title, alt: point.title || 'marker' });
      marker.bindPopup(popupFor(point));
      marker.addTo(map);
      bounds.push(latlng);
    }

    const cLat = toCoord(el.getAttribute('data-center-lat'), 90);
    const cLon = toCoord(el.getAttribute('data-center-lon'), 180);
    const hasCenter = cLat !== null && cLon !== null;
    if (hasCenter) {
      const here = L.circleMarker([cLat, cLon], {
        radius: 9,
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

    if (bounds.length > 1) {
      // extra room at the top for the height of the marker pins
      map.fitBounds(bounds, { paddingTopLeft: [32, 56], paddingBottomRight: [32, 24], maxZoom: 15, animate: false });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 13, { animate: false });
    } else {
      map.setView(KAZAKHSTAN.center, KAZAKHSTAN.zoom, { animate: false });
    }

    // A map inside a toggled or resized container needs to re-measure itself.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { map.invalidateSize(); }).observe(el);
    }
    el.dispatchEvent(new CustomEvent('sw:map-ready', { bubbles: true, detail: { map: map } }));
  }

  function init() {
    const maps = document.querySelectorAll('.map[data-map-points-src], .map[data-tile-url]');
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
