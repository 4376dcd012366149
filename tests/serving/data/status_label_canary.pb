

dense"canary