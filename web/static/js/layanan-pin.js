/* Layanan: the optional map pin of the citizen's report form, and the small map of the reported
   point on a ticket's public page. Progressive enhancement only: without this script (or without
   Leaflet) the lat/long inputs are the pin and the page links to OpenStreetMap; with it a map
   fills the inputs. Settings come from data-* attributes (the CSP allows no inline script); the
   map's centre, zoom and bounds are the regency's (data/regencies/<slug>/regency.json), and a
   kecamatan's centre comes from its <optgroup data-lat data-lng>. */
(function () {
  'use strict';
  if (typeof window.L === 'undefined') return;
  var L = window.L;
  var VILLAGE_ZOOM = 13;  // a kecamatan fills the map
  var PIN_ZOOM = 16;      // a street and its houses

  function nums(s) { return String(s || '').split(',').map(function (x) { return parseFloat(x); }); }
  function finite(v) { return typeof v === 'number' && isFinite(v); }
  // "-6,8962" (a decimal comma) reads as -6.8962, as the server reads it.
  function typed(input) {
    var v = input.value.trim();
    if (v.indexOf('.') < 0 && v.split(',').length === 2) v = v.replace(',', '.');
    return v === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) ? NaN : parseFloat(v);
  }

  function tiles(el, map) {
    var failed = 0;
    var layer = L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 });
    layer.on('tileerror', function () {
      failed += 1;
      if (failed === 3 && el.dataset.tilesFailed) {
        var note = document.createElement('p');
        note.className = 'hint layanan-tiles-failed';
        note.setAttribute('role', 'status');
        note.textContent = el.dataset.tilesFailed;
        el.parentNode.insertBefore(note, el.nextSibling);
      }
    });
    layer.addTo(map);
  }

  function picker(el) {
    var lat = document.getElementById(el.dataset.lat);
    var lng = document.getElementById(el.dataset.lng);
    var village = document.getElementById(el.dataset.village);
    if (!lat || !lng) return;
    var b = nums(el.dataset.bounds);
    var box = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
    var map = null;
    var marker = null;
    var last = null;  // the marker's position before a drag

    function kecamatanCentre() {
      if (!village || village.selectedIndex < 1) return null;
      var g = village.options[village.selectedIndex].parentNode;
      if (!g || g.tagName !== 'OPTGROUP') return null;
      var ll = [parseFloat(g.dataset.lat), parseFloat(g.dataset.lng)];
      return finite(ll[0]) && finite(ll[1]) && box.contains(ll) ? ll : null;
    }
    function typedPoint() {
      var ll = [typed(lat), typed(lng)];
      return finite(ll[0]) && finite(ll[1]) && box.contains(ll) ? L.latLng(ll) : null;
    }
    function fill(ll) {
      lat.value = ll.lat.toFixed(6);
      lng.value = ll.lng.toFixed(6);
    }
    function place(ll) {
      last = ll;
      if (marker) { marker.setLatLng(ll); return; }
      marker = L.marker(ll, { draggable: true, keyboard: false, autoPan: true, alt: el.getAttribute('aria-label') || '' });
      marker.on('dragend', function () {
        var to = marker.getLatLng();
        if (!box.contains(to)) { marker.setLatLng(last); return; }  // the pin stays inside the regency
        last = to;
        fill(to);
      });
      marker.addTo(map);
    }
    function unplace() {
      if (marker) { map.removeLayer(marker); marker = null; last = null; }
    }

    function start() {
      if (map) { map.invalidateSize(); return; }
      el.hidden = false;
      el.classList.add('layanan-pin-live');
      var hint = document.createElement('p');
      hint.className = 'hint';
      hint.id = 'layanan-pin-map-hint';
      hint.textContent = el.dataset.hint || '';
      el.parentNode.insertBefore(hint, el);
      map = L.map(el, { scrollWheelZoom: false, maxBounds: box.pad(0.3) });
      var at = typedPoint();
      var c = nums(el.dataset.center);
      if (at) map.setView(at, PIN_ZOOM);
      else if (kecamatanCentre()) map.setView(kecamatanCentre(), VILLAGE_ZOOM);
      else map.setView(c, parseInt(el.dataset.zoom || '10', 10));
      tiles(el, map);
      if (at) place(at);
      map.on('click', function (e) {
        if (!box.contains(e.latlng)) return;
        place(e.latlng);
        fill(e.latlng);
      });
      // Keyboard: the arrow keys pan the map (Leaflet); Enter puts the pin at the map's centre.
      el.addEventListener('keydown', function (e) {
        if (e.key !== 'Enter' || e.target !== el) return;
        e.preventDefault();
        var ll = map.getCenter();
        if (!box.contains(ll)) return;
        place(ll);
        fill(ll);
      });
      var clear = document.createElement('button');
      clear.type = 'button';
      clear.className = 'btn small layanan-pin-clear';
      clear.textContent = el.dataset.clear || '×';
      clear.addEventListener('click', function () {
        lat.value = '';
        lng.value = '';
        unplace();
      });
      el.parentNode.insertBefore(clear, el.nextSibling);
      // Typed numbers move the pin (values outside the regency are left to the server's message).
      function typedChange() {
        if (lat.value.trim() === '' && lng.value.trim() === '') { unplace(); return; }
        var ll = typedPoint();
        if (!ll) return;
        place(ll);
        map.panTo(ll);
      }
      lat.addEventListener('change', typedChange);
      lng.addEventListener('change', typedChange);
      if (village) {
        village.addEventListener('change', function () {
          var k = kecamatanCentre();
          if (k && !marker) map.setView(k, VILLAGE_ZOOM);
        });
      }
    }

    var details = el.closest('details');
    if (!details || details.open) start();
    if (details) details.addEventListener('toggle', function () { if (details.open) start(); });
  }

  function view(el) {
    var p = nums(el.dataset.point);
    if (!finite(p[0]) || !finite(p[1])) return;
    el.hidden = false;
    el.classList.add('layanan-pin-live');
    var map = L.map(el, { scrollWheelZoom: false });
    map.setView(p, PIN_ZOOM);
    tiles(el, map);
    L.marker(p, { keyboard: false, interactive: false, alt: el.getAttribute('aria-label') || '' }).addTo(map);
  }

  var pick = document.getElementById('layanan-pin-map');
  if (pick) picker(pick);
  var shown = document.getElementById('layanan-pin-view');
  if (shown) view(shown);
})();
