/* Usulan pembangunan: the proposals map (clustered markers from the GeoJSON API) and the optional
   point picker on the submit form. Progressive enhancement only: the pages work without it, and
   the markers still show when the tiles cannot load. Data comes from data-* attributes (CSP). */
(function () {
  'use strict';
  if (typeof window.L === 'undefined') return;
  var L = window.L;

  function num(s) { return parseFloat(s); }
  function pair(s) { var p = (s || '').split(','); return [num(p[0]), num(p[1])]; }
  function bounds(s) { var b = (s || '').split(',').map(num); return L.latLngBounds([b[0], b[1]], [b[2], b[3]]); }

  function baseMap(el) {
    var map = L.map(el, { scrollWheelZoom: false, maxBounds: bounds(el.dataset.bounds).pad(0.3) });
    map.setView(pair(el.dataset.center), parseInt(el.dataset.zoom || '10', 10));
    var failed = 0;
    var tiles = L.tileLayer(el.dataset.tiles, {
      attribution: el.dataset.attribution,
      maxZoom: parseInt(el.dataset.maxZoom || '19', 10)
    });
    tiles.on('tileerror', function () {
      failed += 1;
      if (failed === 3 && el.dataset.labelTilesFailed) {
        var note = document.createElement('p');
        note.className = 'usulan-tiles-failed';
        note.setAttribute('role', 'status');
        note.textContent = el.dataset.labelTilesFailed;
        el.parentNode.insertBefore(note, el.nextSibling);
      }
    });
    tiles.addTo(map);
    return map;
  }

  function kind(p) {
    if (p.status === 'accepted' && p.finished) return 'finished';
    if (p.status === 'accepted') return 'accepted';
    if (p.status === 'rejected' || p.status === 'not_accepted') return 'stopped';
    return 'open';
  }

  function mark(name) { if (window.performance && performance.mark) performance.mark('usulan-map:' + name); }

  // Up to 10,000 markers: one shared icon per kind, the popup built only when it opens, one
  // keyboard handler on the group, no "layeradd" event per marker. Performance marks
  // usulan-map:data, :markers and :clustered time the steps (the browser test reports them).
  function proposalsMap(el) {
    el.textContent = '';
    el.classList.add('usulan-map-live');
    var map = baseMap(el);
    var icons = {};
    function icon(k) {
      return icons[k] || (icons[k] = L.divIcon({ className: 'usulan-pin usulan-pin-' + k, iconSize: [18, 18] }));
    }
    function popup(m) {
      var p = m.feature.properties;
      var box = document.createElement('div');
      var a = document.createElement('a');
      a.href = p.url;
      a.textContent = p.title;
      var s = document.createElement('p');
      s.textContent = (el.dataset.labelSupports || '') + ': ' + p.supports +
        (p.progress !== null && p.progress !== undefined ? ' · ' + p.progress + '%' : '');
      box.appendChild(a);
      box.appendChild(s);
      return box;
    }
    var group = L.markerClusterGroup
      ? L.markerClusterGroup({
        // Clustering runs in slices of 200 ms; between them the page answers input and paints.
        // The default 50 ms pause after each slice only delays the clusters.
        chunkedLoading: true,
        chunkDelay: 1,
        // Clusters are computed for every zoom level up front. From zoom 17 (a building is a few
        // dozen pixels) the map shows single pins: the top levels, where hardly any pin merges
        // yet, cost the most (with 10,000 pins about half the clustering time).
        disableClusteringAtZoom: 17,
        chunkProgress: function (done, total) { if (total > 0 && done === total) mark('clustered'); }
      })
      : L.featureGroup();
    group.bindPopup(popup);
    group.on('keypress', function (e) {
      var m = e.propagatedFrom || e.layer;
      if (m && m.feature && e.originalEvent.key === 'Enter') window.location.href = m.feature.properties.url;
    });
    map.addLayer(group);
    fetch(el.dataset.geojson, { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        mark('data');
        var fs = data.features;
        var markers = new Array(fs.length);
        for (var i = 0; i < fs.length; i++) {
          var f = fs[i];
          var c = f.geometry.coordinates;
          var m = L.marker([c[1], c[0]], { icon: icon(kind(f.properties)), title: f.properties.title, keyboard: true });
          m.feature = f;
          markers[i] = m;
        }
        mark('markers');
        if (group.addLayers) group.addLayers(markers, true); else markers.forEach(function (m) { group.addLayer(m); });
      })
      .catch(function () { /* the list below the map stays usable */ });
  }

  function picker(el) {
    var lat = document.getElementById('u-lat');
    var lng = document.getElementById('u-lng');
    if (!lat || !lng) return;
    el.classList.add('usulan-pick-live');
    var hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = el.dataset.label || '';
    el.parentNode.insertBefore(hint, el);
    var map = baseMap(el);
    var box = bounds(el.dataset.bounds);
    var marker = null;
    function place(ll) {
      if (!box.contains(ll)) return;
      if (marker) marker.setLatLng(ll); else marker = L.marker(ll, { keyboard: false }).addTo(map);
    }
    if (lat.value && lng.value) place(L.latLng(num(lat.value), num(lng.value)));
    map.on('click', function (e) {
      if (!box.contains(e.latlng)) return;
      place(e.latlng);
      lat.value = e.latlng.lat.toFixed(6);
      lng.value = e.latlng.lng.toFixed(6);
    });
  }

  var m = document.getElementById('usulan-map');
  if (m) proposalsMap(m);
  var p = document.getElementById('usulan-pick');
  if (p) picker(p);
})();
