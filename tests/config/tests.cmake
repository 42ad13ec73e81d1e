pg2sr_add_test_dir(config LIBS pg2sr_config)
