"""Reports for supervisors (`/reports`): the blueprint is panel.reports.views.blueprint."""
