print("vfleet")
