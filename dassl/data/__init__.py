from .data_manager import DataManager, DatasetWrapper, build_data_loader, index_loader, set_loader_epoch
