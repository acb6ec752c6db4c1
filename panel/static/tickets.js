// The ticket pages: a live notice when tickets change, and a new ticket's own fields.
(function () {
  var me = document.currentScript;
  var events = me.getAttribute("data-events");
  var number = me.getAttribute("data-ticket");
  if (events) {
    sf.live(events, {
      changed: function (data) {
        // on a ticket's page only that ticket's changes matter; on the list, any
        var notice = document.getElementById(number ? "ticket-changed" : "tickets-changed");
        if (notice && (!number || data.number === number)) { notice.hidden = false; }
      }
    });
  }
  var type = document.getElementById("ticket-type");
  if (type) {
    // show the chosen type's own fields; a hidden fieldset is disabled, so it is not sent
    type.addEventListener("change", function (e) {
      document.querySelectorAll("fieldset.type-fields").forEach(function (set) {
        var mine = set.getAttribute("data-type") === e.target.value;
        set.hidden = !mine;
        set.disabled = !mine;
      });
    });
  }
})();
