import { serveDepartment } from '@zigong/kit';
import { agriculture } from './index';

serveDepartment(agriculture);
