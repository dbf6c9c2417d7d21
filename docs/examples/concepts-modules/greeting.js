export var greeting = 'Hello from a module'
