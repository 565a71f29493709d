/* Enhancement only: show the villages of the chosen town (the page works without it). */
(function () {
  var town = document.getElementById('town'), village = document.getElementById('village');
  if (!town || !village) { return; }
  var blank = village.options[0].cloneNode(true);
  var groups = Array.prototype.map.call(village.getElementsByTagName('optgroup'),
                                        function (g) { return g.cloneNode(true); });
  function filter() {
    var chosen = village.value;
    while (village.firstChild) { village.removeChild(village.firstChild); }
    village.appendChild(blank.cloneNode(true));
    groups.forEach(function (g) {
      if (!town.value || g.getAttribute('data-town') === town.value) {
        village.appendChild(g.cloneNode(true));
      }
    });
    village.value = chosen;
    if (village.value !== chosen) { village.value = ''; }
  }
  town.addEventListener('change', filter);
  filter();
})();
