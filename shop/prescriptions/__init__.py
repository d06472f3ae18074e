"""Prescription medicines (SPEC §15): the uploaded prescription and the pharmacist's review.

- `files.py` checks an upload by its content (PDF, JPEG or PNG up to 5 MB) and keeps it
  in the private storage area under a random key, never in a public folder.
- `service.py` records an order's prescription, and the decisions: approve (capture the
  authorised payment → paid) or reject (cancel the authorisation → cancelled, holds
  released), and the expiry of reviews nobody decided.
- `views.py` serves the file to its customer; `staff_views.py` is the pharmacists' queue
  under `/staff/prescriptions/`.
"""
