/* Social Window: the catalogue's "List / Map" switch without a new page, and Leaflet only when the map is shown.
 *
 * The page works without this script: "Map" is a link to ?view=map, which the server renders with Leaflet.
 * On the list (the default view) the map's panel is in the page but hidden, with its points; choosing "Map"
 * shows it, loads Leaflet's CSS and JS and then js/offices-map.js (which draws every .map on the page), and
 * records ?view=map in the address so Back returns to the list. The files' addresses come from the panel:
 *   <div data-map-panel hidden data-leaflet-css="..." data-leaflet-js="..." data-maps-js="..."> ... </div>
 *   <div data-list-panel> ... </div>   <a href="?view=map" data-show-view="map">...</a>
 */
(function () {
  'use strict';

  const panel = document.querySelector('[data-map-panel]');
  const list = document.querySelector('[data-list-panel]');
  if (!panel || !list || !window.history || !window.history.pushState || !window.Promise) return;
  const links = Array.prototype.slice.call(document.querySelectorAll('[data-show-view]'));
  let loading = null;

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      const el = document.createElement(tag);
      Object.keys(attributes).forEach(function (name) { el.setAttribute(name, attributes[name]); });
      el.addEventListener('load', resolve);
      el.addEventListener('error', reject);
      document.head.appendChild(el);
    });
  }

  function showFallback() {
    const fallback = panel.querySelector('.map-fallback');
    if (fallback) fallback.hidden = false;
  }

  function loadMap() {
    if (!loading) {
      const css = load('link', { rel: 'stylesheet', href: panel.getAttribute('data-leaflet-css') });
      const js = load('script', { src: panel.getAttribute('data-leaflet-js') });
      // The map is drawn once Leaflet and its styles are both in: a map measured without them is misplaced.
      loading = Promise.all([css, js])
        .then(function () { return load('script', { src: panel.getAttribute('data-maps-js') }); })
        .catch(showFallback);
    }
    return loading;
  }

  function viewIn(url) {
    return new URL(url, window.location.href).searchParams.get('view') === 'map' ? 'map' : 'list';
  }

  function show(view) {
    const map = view === 'map';
    panel.hidden = !map;
    list.hidden = map;
    links.forEach(function (link) {
      if (link.getAttribute('data-show-view') === view) {
        link.setAttribute('aria-current', 'page');
      } else {
        link.removeAttribute('aria-current');
      }
    });
    // A new search keeps what is shown.
    const form = document.querySelector('form[role="search"]');
    let field = form && form.querySelector('input[name="view"]');
    if (form && map && !field) {
      field = document.createElement('input');
      field.type = 'hidden';
      field.name = 'view';
      form.appendChild(field);
    }
    if (field) {
      if (map) field.value = 'map';
      else field.remove();
    }
    if (map) loadMap();
  }

  links.forEach(function (link) {
    link.addEventListener('click', function (event) {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return; // a new tab or window gets the server's page
      }
      event.preventDefault();
      const view = link.getAttribute('data-show-view') === 'map' ? 'map' : 'list';
      if (view === viewIn(window.location.href)) return;
      // This address again with view=map (or without it), keeping the page of the list that is shown.
      const url = new URL(window.location.href);
      if (view === 'map') {
        url.searchParams.set('view', 'map');
      } else {
        url.searchParams.delete('view');
      }
      window.history.pushState({ view: view }, '', url.href);
      show(view);
    });
  });

  window.addEventListener('popstate', function () { show(viewIn(window.location.href)); });
})();
