/* Social Window: "use my location" button (progressive enhancement).
 *
 *   <button type="button" class="btn btn-secondary" hidden data-my-location
 *           data-lat-field="#lat" data-lon-field="#lon" data-status="#geo-status"
 *           data-msg-locating="..." data-msg-denied="..." data-msg-unavailable="...">...</button>
 *
 * The button stays hidden unless the browser can give a position (geolocation on a secure origin).
 * On success the two fields get the position rounded to 3 decimals (about 100 m, enough to find the
 * nearest office) and the button's form is submitted. Messages come from the page, already translated.
 */
(function () {
  'use strict';

  if (!('geolocation' in navigator) || window.isSecureContext === false) return;

  function pick(selector) {
    if (!selector) return null;
    try {
      return document.querySelector(selector);
    } catch (e) {
      return null;
    }
  }

  function say(statusEl, text) {
    if (!statusEl) return;
    if (!statusEl.hasAttribute('role') && !statusEl.hasAttribute('aria-live')) {
      statusEl.setAttribute('role', 'status');
    }
    statusEl.textContent = text || '';
    if (text) statusEl.hidden = false;
  }

  function setup(button) {
    const latField = pick(button.getAttribute('data-lat-field') || '#lat');
    const lonField = pick(button.getAttribute('data-lon-field') || '#lon');
    const form = button.form || button.closest('form');
    if (!latField || !lonField || !form) return; // nothing to fill: leave the button hidden
    const statusEl = pick(button.getAttribute('data-status'));
    let busy = false;

    button.hidden = false;
    button.addEventListener('click', function () {
      if (busy) return;
      busy = true;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      say(statusEl, button.getAttribute('data-msg-locating'));

      function done() {
        busy = false;
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }

      navigator.geolocation.getCurrentPosition(
        function (position) {
          latField.value = position.coords.latitude.toFixed(3);
          lonField.value = position.coords.longitude.toFixed(3);
          done();
          if (typeof form.requestSubmit === 'function') {
            form.requestSubmit();
          } else {
            form.submit();
          }
        },
        function (error) {
          done();
          const denied = error && error.code === 1; // PERMISSION_DENIED
          say(statusEl, button.getAttribute(denied ? 'data-msg-denied' : 'data-msg-unavailable'));
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
      );
    });
  }

  function init() {
    document.querySelectorAll('[data-my-location]').forEach(setup);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
