/* Social Window: conveniences on top of the shared page parts (templates/README.md). Every page works without it.
 *
 * - The first error summary (.error-summary, tabindex="-1") takes the focus when the page loads, so a screen
 *   reader starts at the list of what to correct; a link in it focuses its field with the label in view.
 * - The header's menu (<details class="site-menu">) closes on Escape, giving the focus back to its button,
 *   and when a tap or the focus lands outside it.
 */
(function () {
  'use strict';

  var summary = document.querySelector('.error-summary');
  if (summary) summary.focus();

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('.error-summary a[href^="#"]');
    if (!link) return;
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) return;
    event.preventDefault();
    (input.closest('.field, fieldset') || input).scrollIntoView({ block: 'start' });
    input.focus({ preventScroll: true });
  });

  var menu = document.querySelector('details.site-menu');
  if (!menu) return;
  function closeMenu(returnFocus) {
    if (!menu.open) return;
    menu.open = false;
    if (returnFocus) menu.querySelector('summary').focus();
  }
  menu.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') closeMenu(true);
  });
  document.addEventListener('click', function (event) {
    if (!menu.contains(event.target)) closeMenu(false);
  });
  document.addEventListener('focusin', function (event) {
    if (!menu.contains(event.target)) closeMenu(false);
  });
})();
