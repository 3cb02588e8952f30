"""Every message, modal and Home tab zoomcal shows, built with slack_sdk.models. Only here."""
