"""Every Slack id zoomcal uses: callback ids, block ids, action ids. One place, no typos."""

COMMAND = "/zoomcal"

# The enable modal
ENABLE_VIEW = "zoomcal_enable"
THIRD_PARTY_BLOCK = "third_party"
THIRD_PARTY_ACTION = "third_party_on"
THIRD_PARTY_ON = "on"
SERVICE_BLOCK = "service"
SERVICE_ACTION = "service_choice"
AUTHORIZE_BLOCK = "authorize_with"
AUTHORIZE_ACTION = "authorize_with_choice"
SETUP_BLOCK = "setup_by"
SETUP_ACTION = "setup_by_choice"

# Which block shows the service's problem with a submitted field (Choices field → block id).
FIELD_BLOCKS = {
    "third_party": THIRD_PARTY_BLOCK,
    "service": SERVICE_BLOCK,
    "authorize_with": AUTHORIZE_BLOCK,
    "setup_by": SETUP_BLOCK,
}

# Messages
CONSENT_LINK_ACTION = "open_consent_link"
