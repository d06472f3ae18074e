"""Content that sells: which article (and which embed in it) led to views, clicks and sales."""
