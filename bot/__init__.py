"""zoomcal: manage Zoom's Office 365 calendar integration (application permissions) from Slack."""
