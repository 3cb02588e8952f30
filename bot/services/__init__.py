"""The rules of zoomcal. Handlers call one method here; storage and clients do the I/O."""
