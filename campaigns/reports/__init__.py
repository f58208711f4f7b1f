"""Scheduled reports: a manager's standing order for a report on a team or a campaign, and the
e-mails that fulfil it.

- ``subscriptions``: the writes (``report_subscription_create`` / ``_update``); services,
  re-exported by ``campaigns.services`` like every write of the app.
- ``periods``: which periods a subscription covers and which are due (local calendar, DST-safe).
- ``figures``: what a report says (``report_build``), a read-only selector with the owner's
  visibility. It fills a ``contents.Report`` from the queries of ``sections`` (one per section)
  and ``activity_rows`` (the CSV), reading only what ``visibility`` lets the recipients see.
- ``rendering``: the report as people read it, an e-mail (text, HTML, chart, CSV) or a download
  (HTML, PDF).
- ``sending``: the report tick's service (``report_send_due``): claims each due period and
  sends it exactly once.

The models (``ReportSubscription``, ``ReportRun``) live in ``campaigns.models``; the e-mail
helper all of Candor's e-mails go through is ``campaigns.emails``.
"""
