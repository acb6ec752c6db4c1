"""Live updates pushed to browsers: a publish/subscribe bus and its SSE streams."""
