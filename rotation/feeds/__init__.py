"""Calendar feeds staff subscribe to: plan folder → events → iCalendar → a published site.

The pipeline, one module per step:

* :mod:`.plan`: read a plan folder (``rota.csv``, ``duty_days.csv``, ``summary.json``, and
  ``duty.csv`` when it exists) into frozen records;
* :mod:`.events`: pure functions from the unit and the plan to the events of each feed, every
  event with a UID taken from its slot;
* :mod:`.state`: what was published before, so a changed event gets a higher SEQUENCE and an
  unchanged one stays byte-identical;
* :mod:`.ics`: serialisation with ``icalendar``;
* :mod:`.page`: ``index.html``;
* :mod:`.tokens`: unguessable personal addresses, stored hashed in the served tree;
* :mod:`.site`: publish (files replaced atomically), personal links and token rotation;
* :mod:`.server`: the WSGI application behind ``rotation serve``;
* :mod:`.cli`: the ``publish``, ``links`` and ``serve`` commands.
"""
