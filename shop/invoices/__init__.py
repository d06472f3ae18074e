"""GST tax invoices, credit notes and the GST register (SPEC §12)."""
