"""The desktop control room: widgets that observe snapshots and send commands."""
