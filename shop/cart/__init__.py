"""The shopping cart: lines kept in the database, priced live on every view."""
