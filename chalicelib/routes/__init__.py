"""Feature-area blueprints registered by app.py. Views here follow app.py's rule: parse the
request, call one service, map the result; services are imported inside views so that a cold
start pays only for what the invoked route uses."""
